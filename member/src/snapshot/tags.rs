//! Resource tags, as the exemption check reads them.

use std::collections::BTreeMap;

/// Tag key to value (keys are unique per resource in every service Rampart reads).
pub type Tags = BTreeMap<String, String>;

/// The tags as (key, value) pairs.
pub fn pairs(tags: &Tags) -> impl Iterator<Item = (&str, &str)> {
    tags.iter().map(|(k, v)| (k.as_str(), v.as_str()))
}
