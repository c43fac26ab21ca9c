//! Which resources an action must leave alone: the exemption tag and
//! `response.remediation_exempt`.

use super::ctx::Ctx;

/// Whether a tag list marks the resource exempt (`<exempt_tag>=true`, case-insensitive value).
pub fn exempt<'t>(tags: impl IntoIterator<Item = (&'t str, &'t str)>, key: &str) -> bool {
    tags.into_iter()
        .any(|(k, v)| k == key && v.eq_ignore_ascii_case("true"))
}

/// Resource-level guards every plan applies before proposing a change.
pub fn excluded(ctx: &Ctx<'_>, resource: &str) -> Option<String> {
    ctx.cfg
        .is_remediation_exempt(resource)
        .then(|| format!("{resource} is listed in response.remediation_exempt"))
}

/// Whether a tag list marks the resource exempt, with the reason.
pub fn exempt_by_tag<'t>(
    ctx: &Ctx<'_>,
    resource: &str,
    tags: impl IntoIterator<Item = (&'t str, &'t str)>,
) -> Option<String> {
    let key = ctx.cfg.exempt_tag();
    exempt(tags, key).then(|| format!("{resource} is tagged {key}=true"))
}
