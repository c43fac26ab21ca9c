//! Parameter constraints: `AllowedPattern` of parameters that have no value lets a rule decide
//! "could this be 0.0.0.0/0 (or `*`)?" instead of reporting it unresolved, and a `Default` or
//! supplied value that breaks its own `AllowedPattern`/`AllowedValues` is a template error.
//!
//! CloudFormation matches `AllowedPattern` against the whole value (Java `Pattern.matches`:
//! `[a-zA-Z][a-zA-Z0-9]*` rejects `my-db`), so patterns are anchored here. A pattern the
//! `regex` crate cannot compile (look-around, back-references) constrains nothing.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Mutex;

use regex::{Regex, RegexBuilder};

use crate::node::Node;

thread_local! {
    /// Patterns of the value-less parameters of the template whose rules are running.
    static ACTIVE: RefCell<HashMap<String, Regex>> = RefCell::new(HashMap::new());
}

/// Compiled patterns by source text: templates repeat the same CIDR and name patterns, and
/// compiling dominated the audit of the corpus (137 patterns) before this cache.
static CACHE: Mutex<Option<HashMap<String, Option<Regex>>>> = Mutex::new(None);
const CACHE_MAX: usize = 4096;

/// `AllowedPattern` as CloudFormation applies it (whole value), if it compiles.
pub fn compile(pattern: &str) -> Option<Regex> {
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    let cache = cache.get_or_insert_with(HashMap::new);
    if let Some(re) = cache.get(pattern) {
        return re.clone();
    }
    let anchored = format!("^(?:{pattern})$");
    let build = |unicode: bool| {
        RegexBuilder::new(&anchored)
            .unicode(unicode)
            .size_limit(1 << 20)
            .build()
            .ok()
    };
    // Java's `\d`, `\w`, `\s` are ASCII (as without Unicode here, and much faster to
    // compile); a pattern that needs Unicode mode (`.` over UTF-8, non-ASCII literals) gets it.
    let re = build(false).or_else(|| build(true));
    if cache.len() >= CACHE_MAX {
        cache.clear();
    }
    cache.insert(pattern.to_string(), re.clone());
    re
}

/// While alive, [`admits`] knows these parameters' patterns (by parameter name).
pub struct Scope(());

impl Drop for Scope {
    fn drop(&mut self) {
        ACTIVE.with(|a| a.borrow_mut().clear());
    }
}

/// Make `patterns` active on this thread until the returned guard is dropped.
pub fn enter(patterns: HashMap<String, Regex>) -> Scope {
    ACTIVE.with(|a| *a.borrow_mut() = patterns);
    Scope(())
}

/// For an unresolved rendering that is exactly one parameter placeholder (`${Name}`) whose
/// parameter has an active pattern: can the value be `target`? `None` when no pattern applies.
pub fn admits(rendering: &str, target: &str) -> Option<bool> {
    let name = rendering.strip_prefix("${")?.strip_suffix('}')?;
    if name.contains(['$', '{', '}']) {
        return None;
    }
    ACTIVE.with(|a| a.borrow().get(name).map(|re| re.is_match(target)))
}

/// Why a parameter value breaks its own constraints, if it does (lists are checked per item).
pub fn violation(param: &Node, value: &str, list: bool) -> Option<String> {
    let items: Vec<&str> = if list {
        value.split(',').map(str::trim).collect()
    } else {
        vec![value]
    };
    if let Some(p) = param.get("AllowedPattern").and_then(Node::as_str) {
        if let Some(re) = compile(p) {
            if let Some(bad) = items.iter().find(|i| !re.is_match(i)) {
                return Some(format!("'{bad}' does not match its AllowedPattern '{p}'"));
            }
        }
    }
    if let Some(allowed) = param.get("AllowedValues") {
        let allowed: Vec<String> = allowed
            .items()
            .iter()
            .filter_map(Node::scalar_text)
            .collect();
        if !allowed.is_empty() {
            if let Some(bad) = items.iter().find(|i| !allowed.iter().any(|a| a == *i)) {
                return Some(format!("'{bad}' is not one of its AllowedValues"));
            }
        }
    }
    None
}
