//! Facts from the repository, without judgement: the Kubernetes objects in its manifests (walkdir +
//! serde_yaml), each with the file and line of its fields. Checks over these facts live in `check/`.

pub mod git;
pub mod history;
pub mod k8s;
pub mod kustomize;
pub mod manifests;
pub mod selector;
pub mod snapshot;
pub mod template;
pub mod yaml_lines;
