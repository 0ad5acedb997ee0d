//! The dependency graph (petgraph) over everything a policy names: services and their SLIs, SLOs, alerts,
//! gates, toil policies and workloads, with service → service dependency edges.
//!
//! Built from a resolved [`Model`]; gives cycle detection (each cycle as the whole path, with the spans where
//! its edges are declared) and a topological order of services, dependencies first, for later stages.

use crate::model::{Model, ServiceId, SliKind};
use crate::source::Span;
use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use std::collections::HashMap;

/// A node of the policy graph.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Node {
    Service(ServiceId),
    Sli(ServiceId, usize),
    Slo(ServiceId, usize),
    Alert(ServiceId, usize),
    Gate(ServiceId, usize),
    Toil(ServiceId),
    Workload(ServiceId),
}

/// What an edge means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Edge {
    /// Service → service; `span` is where the dependency is named.
    DependsOn { hard: bool, span: Span },
    /// Service → its parts.
    Contains,
    /// SLO → SLI.
    Measures,
    /// Alert → SLO.
    Watches,
    /// Gate → SLO (budget, burn and error-ratio requirements, freezes).
    Reads,
}

/// The graph and a lookup from nodes to indices.
pub struct PolicyGraph {
    pub graph: DiGraph<Node, Edge>,
    index: HashMap<Node, NodeIndex>,
}

/// One dependency cycle: the services in order (the first is repeated implicitly at the end) and the span of
/// each edge `services[i] → services[i + 1]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    pub services: Vec<ServiceId>,
    pub edges: Vec<Span>,
}

impl PolicyGraph {
    pub fn build(model: &Model) -> PolicyGraph {
        let mut g = PolicyGraph {
            graph: DiGraph::new(),
            index: HashMap::new(),
        };
        for (i, s) in model.services.iter().enumerate() {
            let id = ServiceId(i);
            let svc = g.node(Node::Service(id));
            for (j, _) in s.slis.iter().enumerate() {
                let n = g.node(Node::Sli(id, j));
                g.graph.add_edge(svc, n, Edge::Contains);
            }
            for (j, slo) in s.slos.iter().enumerate() {
                let n = g.node(Node::Slo(id, j));
                g.graph.add_edge(svc, n, Edge::Contains);
                let sli = g.node(Node::Sli(id, slo.sli));
                g.graph.add_edge(n, sli, Edge::Measures);
            }
            for (j, a) in s.alerts.iter().enumerate() {
                let n = g.node(Node::Alert(id, j));
                g.graph.add_edge(svc, n, Edge::Contains);
                let slo = g.node(Node::Slo(id, a.slo));
                g.graph.add_edge(n, slo, Edge::Watches);
            }
            for (j, gate) in s.gates.iter().enumerate() {
                let n = g.node(Node::Gate(id, j));
                g.graph.add_edge(svc, n, Edge::Contains);
                let conditions = gate
                    .requires
                    .iter()
                    .chain(gate.freezes.iter().map(|f| &f.when));
                let mut slos: Vec<usize> = conditions.filter_map(|c| c.metric.slo()).collect();
                slos.sort_unstable();
                slos.dedup();
                for slo in slos {
                    let target = g.node(Node::Slo(id, slo));
                    g.graph.add_edge(n, target, Edge::Reads);
                }
            }
            if s.toil.is_some() {
                let n = g.node(Node::Toil(id));
                g.graph.add_edge(svc, n, Edge::Contains);
            }
            if s.workload.is_some() {
                let n = g.node(Node::Workload(id));
                g.graph.add_edge(svc, n, Edge::Contains);
            }
        }
        for (i, s) in model.services.iter().enumerate() {
            let from = g.node(Node::Service(ServiceId(i)));
            for d in &s.depends {
                let to = g.node(Node::Service(d.target));
                g.graph.add_edge(
                    from,
                    to,
                    Edge::DependsOn {
                        hard: d.hard,
                        span: d.span,
                    },
                );
            }
        }
        g
    }

    fn node(&mut self, n: Node) -> NodeIndex {
        if let Some(&i) = self.index.get(&n) {
            return i;
        }
        let i = self.graph.add_node(n.clone());
        self.index.insert(n, i);
        i
    }

    /// Only the service → service dependency edges.
    fn dependency_graph(&self, services: usize) -> DiGraph<ServiceId, Span> {
        let mut g = DiGraph::with_capacity(services, services);
        for i in 0..services {
            g.add_node(ServiceId(i));
        }
        for e in self.graph.edge_references() {
            if let (Edge::DependsOn { span, .. }, Node::Service(a), Node::Service(b)) =
                (e.weight(), &self.graph[e.source()], &self.graph[e.target()])
            {
                g.add_edge(NodeIndex::new(a.0), NodeIndex::new(b.0), *span);
            }
        }
        g
    }

    /// Every dependency cycle, one per strongly connected component, each starting at its lowest service.
    pub fn cycles(&self, services: usize) -> Vec<Cycle> {
        let g = self.dependency_graph(services);
        let mut out = Vec::new();
        for scc in tarjan_scc(&g) {
            let self_loop = scc.len() == 1 && g.find_edge(scc[0], scc[0]).is_some();
            if scc.len() < 2 && !self_loop {
                continue;
            }
            let start = *scc.iter().min().expect("non-empty component");
            if let Some(c) = cycle_through(&g, start, &scc) {
                out.push(c);
            }
        }
        out.sort_by_key(|c| c.services[0]);
        out
    }

    /// Services ordered so that every service comes after its dependencies; `None` when there is a cycle.
    pub fn topological_order(&self, services: usize) -> Option<Vec<ServiceId>> {
        let g = self.dependency_graph(services);
        let mut order = petgraph::algo::toposort(&g, None).ok()?;
        order.reverse();
        Some(order.into_iter().map(|n| g[n]).collect())
    }
}

/// The shortest cycle through `start` inside one strongly connected component (breadth-first).
fn cycle_through(
    g: &DiGraph<ServiceId, Span>,
    start: NodeIndex,
    scc: &[NodeIndex],
) -> Option<Cycle> {
    let mut prev: HashMap<NodeIndex, (NodeIndex, Span)> = HashMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    let mut seen = std::collections::HashSet::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut edges: Vec<_> = g.edges(n).filter(|e| scc.contains(&e.target())).collect();
        edges.sort_by_key(|e| e.target());
        for e in edges {
            let t = e.target();
            if t == start {
                // Walk back from n to start.
                let mut services = vec![g[n]];
                let mut spans = vec![*e.weight()];
                let mut cur = n;
                while cur != start {
                    let (p, span) = prev[&cur];
                    services.push(g[p]);
                    spans.push(span);
                    cur = p;
                }
                services.reverse();
                spans.reverse();
                return Some(Cycle {
                    services,
                    edges: spans,
                });
            }
            if seen.insert(t) {
                prev.insert(t, (n, *e.weight()));
                queue.push_back(t);
            }
        }
    }
    None
}

impl crate::model::Metric {
    /// The SLO a metric reads, if any.
    pub fn slo(&self) -> Option<usize> {
        use crate::model::Metric::*;
        match self {
            Budget { slo } | Burn { slo, .. } | ErrorRatio { slo, .. } => Some(*slo),
            _ => None,
        }
    }
}

/// The availability a service promises: its highest objective on a ratio SLI, if any.
pub fn promised_availability(
    model: &Model,
    id: ServiceId,
) -> Option<(rust_decimal::Decimal, usize)> {
    let s = model.service(id);
    s.slos
        .iter()
        .enumerate()
        .filter(|(_, slo)| matches!(s.slis[slo.sli].kind, SliKind::Ratio { .. }))
        .map(|(i, slo)| (slo.objective.value, i))
        .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
}
