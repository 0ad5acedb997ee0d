//! Classifying a walked commit: automation, manual toil or other work (authors, message patterns, trailers),
//! reverts and reverts of reverts, and the images of a workload in a manifest text.

use super::walk::WalkedCommit;
use super::{Class, DEFAULT_BOTS};
use crate::model::{Service, ToilMatcher};
use crate::repo::k8s::scalar;
use git2::Oid;

/// A revert of a revert puts a change back: titled `Revert "Revert …"`, or `Reapply "…"` by git ≥ 2.43.
pub fn reverts_a_revert(message: &str) -> bool {
    let m = message.trim_start();
    m.starts_with("Revert \"Revert ") || m.starts_with("Reapply \"")
}

/// Automation, manual toil or other human work.
pub(super) fn classify(s: &Service, c: &WalkedCommit) -> Class {
    let (name, email, paths) = (c.author_name.as_str(), c.author_email.as_str(), &c.paths);
    let bots: Vec<&str> = s
        .toil
        .as_ref()
        .map(|t| t.bots.iter().map(String::as_str).collect())
        .unwrap_or_default();
    if bots
        .iter()
        .chain(DEFAULT_BOTS)
        .any(|b| glob(b, name) || glob(b, email))
    {
        return Class::Automated;
    }
    let message = c.message.as_str();
    let manual = s.toil.as_ref().is_some_and(|t| {
        t.manual.iter().any(|m| match m {
            ToilMatcher::Message(re) => re.is_match(message),
            ToilMatcher::Author(re) => re.is_match(name) || re.is_match(email),
            ToilMatcher::Path(re) => paths.iter().any(|p| re.is_match(&p.to_string_lossy())),
            ToilMatcher::Trailer { key, value } => trailers(message)
                .any(|(k, v)| k.eq_ignore_ascii_case(key) && v.eq_ignore_ascii_case(value)),
        })
    });
    if manual {
        Class::ManualToil
    } else {
        Class::Human
    }
}

/// `Key: value` lines of the message's last paragraph.
pub(super) fn trailers(message: &str) -> impl Iterator<Item = (&str, &str)> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    last.lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.trim(), v.trim())))
}

/// `*` globs, whole-string.
pub fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first)
        || !text[first.len()..].ends_with(last)
        || text.len() < first.len() + last.len()
    {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for mid in &parts[1..parts.len() - 1] {
        match rest.find(mid) {
            Some(i) => rest = &rest[i + mid.len()..],
            None => return false,
        }
    }
    true
}

/// The commit a `git revert` message names.
pub(super) fn reverted_commit(message: &str) -> Option<Oid> {
    let i = message.find("This reverts commit ")?;
    let hex: String = message[i + 20..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    Oid::from_str(&hex).ok()
}

/// The sorted container images of the workload `id` in a manifest text.
pub(super) fn images_of(text: &str, key: &(String, String, String)) -> Option<Vec<String>> {
    let (v, kind) = crate::repo::template::find_workload(text, key)?;
    let spec = crate::repo::template::template_of(&v, &kind).and_then(|t| t.get("spec"));
    let mut images: Vec<String> = ["initContainers", "containers"]
        .iter()
        .filter_map(|key| spec.and_then(|s| s.get(*key)).and_then(|c| c.as_sequence()))
        .flatten()
        .filter_map(|c| c.get("image").and_then(scalar))
        .collect();
    images.sort();
    Some(images)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("flux*", "fluxcd-bot"));
        assert!(glob("*[bot]", "renovate[bot]"));
        assert!(DEFAULT_BOTS.iter().any(|b| glob(b, "bot@renovateapp.com")));
        assert!(DEFAULT_BOTS.iter().any(|b| glob(b, "renovate[bot]")));
        assert!(reverts_a_revert(
            "Reapply \"feat: x\"\n\nThis reverts commit 1.\n"
        ));
        assert!(reverts_a_revert("Revert \"Revert \"feat: x\"\""));
        assert!(!reverts_a_revert("Revert \"feat: x\""));
        assert!(glob("renovate[bot]", "renovate[bot]"));
        assert!(!glob("flux*", "influx"));
        assert!(glob("a*b*c", "axxbyyc"));
        assert!(!glob("a*b*c", "ac"));
    }

    #[test]
    fn revert_messages() {
        let id = "0123456789abcdef0123456789abcdef01234567";
        assert_eq!(
            reverted_commit(&format!("Revert \"x\"\n\nThis reverts commit {id}.\n")),
            Some(Oid::from_str(id).unwrap())
        );
        assert_eq!(reverted_commit("fix things"), None);
    }

    #[test]
    fn trailer_lines() {
        let m = "Do it\n\nbody\n\nToil: yes\nSigned-off-by: A <a@b>";
        assert!(trailers(m).any(|(k, v)| k == "Toil" && v == "yes"));
    }
}
