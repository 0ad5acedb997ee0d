//! AST → model: the top level. Collects services, profiles and tiers from every file, resolves `use`
//! imports and global names, then lowers each service (see [`super::service`]).

use super::burn;
use super::fields::{Fields, Shape};
use super::imports::Imports;
use super::service;
use super::types::*;
use crate::diag::{did_you_mean, Code, Diagnostic};
use crate::source::{FileId, SourceMap};
use crate::syntax::ast::{self, Block, Item};
use rayon::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// One parsed file handed to the model.
pub struct Input<'a> {
    pub file: FileId,
    pub ast: &'a ast::File,
    /// From the built-in library.
    pub builtin: bool,
}

const TOP_LEVEL: &[&str] = &["service", "profile", "tier"];

/// Lowers all files into one model, collecting diagnostics.
pub fn lower(
    inputs: &[Input<'_>],
    sources: &SourceMap,
    decided: &Imports,
) -> (Model, Vec<Diagnostic>) {
    lower_with(inputs, sources, decided, Default::default())
}

/// Like [`lower`], knowing which services files that do not parse declare ([`Model::unparsed`]).
pub fn lower_with(
    inputs: &[Input<'_>],
    sources: &SourceMap,
    decided: &Imports,
    unparsed: std::collections::BTreeSet<String>,
) -> (Model, Vec<Diagnostic>) {
    let mut diags = Vec::new();
    let mut services: Vec<(FileId, &Block)> = Vec::new();
    let mut profile_blocks: Vec<(FileId, &Block, bool)> = Vec::new();
    let mut tier_blocks: Vec<(&Block, bool)> = Vec::new();
    let mut imports: HashMap<FileId, BTreeSet<FileId>> = HashMap::new();

    // Built-in files first so that repository definitions come after them.
    let mut ordered: Vec<&Input<'_>> = inputs.iter().collect();
    ordered.sort_by_key(|i| (!i.builtin, i.file));
    for input in &ordered {
        for item in &input.ast.items {
            match item {
                Item::Use(u) => {
                    if let Some(target) = resolve_use(u, decided, &mut diags) {
                        imports.entry(input.file).or_default().insert(target);
                    }
                }
                Item::Attribute(a) => diags.push(
                    Diagnostic::new(
                        Code::UnknownKey,
                        a.key.span,
                        format!("`{}` must be inside a block", a.key.name),
                    )
                    .with_primary_label("attribute at the top level")
                    .with_help("the top level holds `service`, `profile` and `tier` blocks and `use` lines"),
                ),
                Item::Block(b) => match b.kind.name.as_str() {
                    "service" => services.push((input.file, b)),
                    "profile" => profile_blocks.push((input.file, b, input.builtin)),
                    "tier" => tier_blocks.push((b, input.builtin)),
                    other => diags.push(
                        Diagnostic::new(
                            Code::UnknownBlock,
                            b.kind.span,
                            format!("unknown block `{other}` at the top level"),
                        )
                        .with_primary_label("unknown block")
                        .with_help(did_you_mean(other, TOP_LEVEL.iter().copied()).unwrap_or_else(|| {
                            "the top level holds `service`, `profile` and `tier` blocks".to_string()
                        })),
                    ),
                },
            }
        }
    }

    let mut model = Model {
        unparsed,
        ..Model::default()
    };
    let mut profile_files: Vec<FileId> = Vec::new();
    for (file, b, builtin) in profile_blocks {
        let Some(name) = required_label(b, "profile", "mwmb", &mut diags) else {
            continue;
        };
        if let Some(prev) = model.profiles.iter().find(|p| p.name.value == name.name) {
            let help = if prev.builtin {
                "built-in profiles cannot be redefined; give this one another name"
            } else {
                "profile names are global; rename one of them"
            };
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    name.span,
                    format!("profile `{}` is defined twice", name.name),
                )
                .with_primary_label("defined again here")
                .with_label(prev.name.span, "first defined here")
                .with_help(help),
            );
            continue;
        }
        let f = Fields::new(
            b,
            &Shape {
                keys: &["description"],
                blocks: &["page", "ticket"],
                statements: false,
            },
            &mut diags,
        );
        let description = f.string("description", &mut diags).map(|s| s.value);
        let windows = burn::windows(&f, &mut diags);
        if windows.is_empty() && f.blocks("page").chain(f.blocks("ticket")).next().is_none() {
            diags.push(
                Diagnostic::new(
                    Code::MissingKey,
                    name.span,
                    format!("profile `{}` has no windows", name.name),
                )
                .with_primary_label("empty profile")
                .with_help(
                    "add `page { long = 1h  short = 5m  budget = 2% }` or `ticket { … }` blocks",
                ),
            );
        }
        model.profiles.push(Profile {
            name: Spanned::new(name.name.clone(), name.span),
            windows,
            builtin,
            description,
        });
        profile_files.push(file);
    }

    lower_tiers(&tier_blocks, &mut model, &mut diags);

    // Global service names.
    let mut ids: HashMap<&str, ServiceId> = HashMap::new();
    let mut named: Vec<(FileId, &Block, &ast::Ident)> = Vec::new();
    for (file, b) in &services {
        let Some(name) = required_label(b, "service", "checkout", &mut diags) else {
            continue;
        };
        if let Some(&ServiceId(prev)) = ids.get(name.name.as_str()) {
            diags.push(
                Diagnostic::new(
                    Code::DuplicateName,
                    name.span,
                    format!("service `{}` is defined twice", name.name),
                )
                .with_primary_label("defined again here")
                .with_label(named[prev].2.span, "first defined here")
                .with_help("service names are global across all policy files"),
            );
            continue;
        }
        ids.insert(&name.name, ServiceId(named.len()));
        named.push((*file, b, name));
    }

    // Services lower independently: in parallel, then their diagnostics in service order.
    let lowered: Vec<(Service, Vec<Diagnostic>)> = named
        .par_iter()
        .map(|(file, b, name)| {
            let visible = |profile: usize| -> bool {
                let p = &model.profiles[profile];
                p.builtin
                    || profile_files[profile] == *file
                    || imports
                        .get(file)
                        .is_some_and(|s| s.contains(&profile_files[profile]))
            };
            let ctx = service::Ctx {
                services: &ids,
                profiles: &model.profiles,
                profile_files: &profile_files,
                visible: &visible,
                tiers: &model.tiers,
                sources,
                unparsed: &model.unparsed,
            };
            let mut service_diags = Vec::new();
            let s = service::lower(b, name, &ctx, &mut service_diags);
            (s, service_diags)
        })
        .collect();
    for (s, d) in lowered {
        model.services.push(s);
        diags.extend(d);
    }
    (model, diags)
}

/// The name of a block that must have one, or a `missing-key` diagnostic.
pub(super) fn required_label<'b>(
    b: &'b Block,
    kind: &str,
    example: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<&'b ast::Ident> {
    if b.label.is_none() {
        diags.push(
            Diagnostic::new(
                Code::MissingKey,
                b.kind.span,
                format!("`{kind}` block has no name"),
            )
            .with_primary_label("name missing")
            .with_help(format!("write `{kind} {example} {{ … }}`")),
        );
    }
    b.label.as_ref()
}

fn lower_tiers(blocks: &[(&Block, bool)], model: &mut Model, diags: &mut Vec<Diagnostic>) {
    let shape = Shape {
        keys: &["profile", "manifests", "description"],
        blocks: &[],
        statements: false,
    };
    let mut seen_repo: HashMap<u8, &ast::Ident> = HashMap::new();
    for (b, builtin) in blocks {
        let Some(label) = required_label(b, "tier", "1", diags) else {
            continue;
        };
        let tier = match label.name.parse::<u8>() {
            Ok(t @ 1..=3) => t,
            _ => {
                diags.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        label.span,
                        format!("unknown tier `{}`", label.name),
                    )
                    .with_primary_label("tiers are 1, 2 or 3"),
                );
                continue;
            }
        };
        if !builtin {
            if let Some(prev) = seen_repo.insert(tier, label) {
                diags.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        label.span,
                        format!("tier {tier} is defined twice"),
                    )
                    .with_primary_label("defined again here")
                    .with_label(prev.span, "first defined here"),
                );
                continue;
            }
        }
        let f = Fields::new(b, &shape, diags);
        let mut ok = f.require("profile", "mwmb", diags);
        ok &= f.require("manifests", "error", diags);
        let profile = f.ident("profile", diags).and_then(|p| {
            let found = model.profiles.iter().position(|x| x.name.value == p.value);
            if found.is_none() {
                diags.push(unresolved_profile(
                    &p,
                    model.profiles.iter().map(|x| x.name.value.as_str()),
                ));
            }
            found
        });
        let manifests = f
            .ident("manifests", diags)
            .and_then(|m| match m.value.as_str() {
                "error" => Some(ManifestLevel::Error),
                "warning" => Some(ManifestLevel::Warning),
                "off" => Some(ManifestLevel::Off),
                _ => {
                    diags.push(
                        Diagnostic::new(
                            Code::InvalidValue,
                            m.span,
                            format!("unknown level `{}`", m.value),
                        )
                        .with_primary_label("expected `error`, `warning` or `off`"),
                    );
                    None
                }
            });
        let (true, Some(profile), Some(manifests)) = (ok, profile, manifests) else {
            continue;
        };
        model.tiers.retain(|t| t.tier != tier);
        model.tiers.push(TierDefaults {
            tier,
            span: b.span,
            profile,
            manifests,
        });
    }
    model.tiers.sort_by_key(|t| t.tier);
}

/// "unknown profile `mwnb`" with a suggestion.
pub fn unresolved_profile<'a>(
    p: &Spanned<String>,
    names: impl Iterator<Item = &'a str>,
) -> Diagnostic {
    let names: Vec<&str> = names.collect();
    Diagnostic::new(
        Code::UnresolvedName,
        p.span,
        format!("unknown profile `{}`", p.value),
    )
    .with_primary_label("no profile of this name")
    .with_help(
        did_you_mean(&p.value, names.iter().copied())
            .unwrap_or_else(|| format!("known profiles: {}", super::fields::list(&names))),
    )
}

fn resolve_use(u: &ast::Use, imports: &Imports, diags: &mut Vec<Diagnostic>) -> Option<FileId> {
    match imports.get(u) {
        Ok(id) => Some(id),
        Err(r) => {
            diags.push(
                Diagnostic::new(r.code, u.path.span, r.message)
                    .with_primary_label(r.label)
                    .with_help(r.help),
            );
            None
        }
    }
}

pub use super::imports::normalize;
