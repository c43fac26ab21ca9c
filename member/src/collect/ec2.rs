//! EC2 (regional): security groups, network ACLs, VPCs, flow logs, instances and EBS
//! encryption by default.
//!
//! The per-resource readers are public: remedies plan on the same reads, narrowed to one
//! resource where a finding names one (ids are then sent without `MaxResults`, which EC2
//! refuses beside explicit ids).

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{
    Ec2Snapshot, GroupRef, Instance, IpPermission, NaclEntry, NetworkAcl, SecurityGroup, Tags, Vpc,
};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/ec2",
    actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:GetEbsEncryptionByDefault",
        "ec2:DescribeNetworkAcls",
        "ec2:DescribeVpcs",
        "ec2:DescribeFlowLogs",
        "ec2:DescribeInstances",
    ],
};

pub async fn collect(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Ec2Snapshot, AwsError> {
    let (groups, ebs, nacls, vpcs, flows, instances) = tokio::join!(
        security_groups(client, GroupFilter::default(), rl),
        ebs_default(client, rl),
        network_acls(client, None, rl),
        vpcs(client, rl),
        flow_log_resources(client, rl),
        instances(client, None, rl)
    );
    Ok(Ec2Snapshot {
        ebs_encryption_by_default: ebs?,
        security_groups: groups?,
        network_acls: nacls?,
        vpcs: vpcs?,
        flow_log_resources: flows?,
        instances: instances?,
    })
}

/// Page size of a listing, left out when explicit ids narrow it.
fn page_size(id: Option<&str>) -> Option<i32> {
    id.is_none().then_some(1000)
}

fn tags(tags: &[aws_sdk_ec2::types::Tag]) -> Tags {
    tags.iter()
        .map(|t| {
            (
                t.key().unwrap_or_default().to_string(),
                t.value().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

pub async fn ebs_default(client: &aws_sdk_ec2::Client, rl: &RateLimiter) -> Result<bool, AwsError> {
    rl.acquire().await;
    let out = client
        .get_ebs_encryption_by_default()
        .send()
        .await
        .map_err(|e| AwsError::sdk("ec2:GetEbsEncryptionByDefault", &e))?;
    Ok(out.ebs_encryption_by_default().unwrap_or(false))
}

/// Which security groups to read: all of them (the default), one by id, or those of one name.
#[derive(Debug, Clone, Copy, Default)]
pub struct GroupFilter<'a> {
    pub id: Option<&'a str>,
    pub name: Option<&'a str>,
}

pub async fn security_groups(
    client: &aws_sdk_ec2::Client,
    only: GroupFilter<'_>,
    rl: &RateLimiter,
) -> Result<Vec<SecurityGroup>, AwsError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    let name_filter = only.name.map(|n| {
        aws_sdk_ec2::types::Filter::builder()
            .name("group-name")
            .values(n)
            .build()
    });
    loop {
        rl.acquire().await;
        let out = client
            .describe_security_groups()
            .set_group_ids(only.id.map(|i| vec![i.to_string()]))
            .set_filters(name_filter.clone().map(|f| vec![f]))
            .set_max_results(page_size(only.id))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeSecurityGroups", &e))?;
        for g in out.security_groups() {
            groups.push(SecurityGroup {
                group_id: g.group_id().unwrap_or_default().to_string(),
                group_name: g.group_name().unwrap_or_default().to_string(),
                vpc_id: g.vpc_id().map(str::to_string),
                owner_id: g.owner_id().unwrap_or_default().to_string(),
                ingress: g.ip_permissions().iter().map(permission).collect(),
                egress: g.ip_permissions_egress().iter().map(permission).collect(),
                tags: tags(g.tags()),
            });
        }
        match out.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(groups)
}

fn permission(p: &aws_sdk_ec2::types::IpPermission) -> IpPermission {
    let v4 = p.ip_ranges().iter().map(|r| (r.cidr_ip(), r.description()));
    let v6 = p
        .ipv6_ranges()
        .iter()
        .map(|r| (r.cidr_ipv6(), r.description()));
    IpPermission {
        protocol: p.ip_protocol().unwrap_or("-1").to_string(),
        from_port: p.from_port(),
        to_port: p.to_port(),
        ipv4_ranges: p
            .ip_ranges()
            .iter()
            .filter_map(|r| r.cidr_ip().map(str::to_string))
            .collect(),
        ipv6_ranges: p
            .ipv6_ranges()
            .iter()
            .filter_map(|r| r.cidr_ipv6().map(str::to_string))
            .collect(),
        group_pairs: p
            .user_id_group_pairs()
            .iter()
            .filter_map(|g| g.group_id().map(str::to_string))
            .collect(),
        descriptions: v4
            .chain(v6)
            .filter_map(|(c, d)| Some((c?.to_string(), d?.to_string())))
            .collect(),
        group_refs: p
            .user_id_group_pairs()
            .iter()
            .map(|g| GroupRef {
                group_id: g.group_id().map(str::to_string),
                user_id: g.user_id().map(str::to_string),
                description: g.description().map(str::to_string),
            })
            .collect(),
        prefix_lists: p
            .prefix_list_ids()
            .iter()
            .filter_map(|l| l.prefix_list_id().map(str::to_string))
            .collect(),
    }
}

/// Every network ACL, or only `id`.
pub async fn network_acls(
    client: &aws_sdk_ec2::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<NetworkAcl>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_network_acls()
            .set_network_acl_ids(id.map(|i| vec![i.to_string()]))
            .set_max_results(page_size(id))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeNetworkAcls", &e))?;
        for n in page.network_acls() {
            out.push(NetworkAcl {
                id: n.network_acl_id().unwrap_or_default().to_string(),
                vpc_id: n.vpc_id().map(str::to_string),
                owner_id: n.owner_id().unwrap_or_default().to_string(),
                is_default: n.is_default().unwrap_or(false),
                entries: n
                    .entries()
                    .iter()
                    .map(|e| NaclEntry {
                        rule_number: e.rule_number().unwrap_or(0),
                        egress: e.egress().unwrap_or(false),
                        protocol: e.protocol().unwrap_or("-1").to_string(),
                        allow: e
                            .rule_action()
                            .map(|a| a.as_str() == "allow")
                            .unwrap_or(false),
                        cidr: e.cidr_block().map(str::to_string),
                        ipv6_cidr: e.ipv6_cidr_block().map(str::to_string),
                        port_from: e.port_range().and_then(|p| p.from()),
                        port_to: e.port_range().and_then(|p| p.to()),
                        icmp_type: e.icmp_type_code().and_then(|c| c.r#type()),
                        icmp_code: e.icmp_type_code().and_then(|c| c.code()),
                    })
                    .collect(),
                tags: tags(n.tags()),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn vpcs(client: &aws_sdk_ec2::Client, rl: &RateLimiter) -> Result<Vec<Vpc>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_vpcs()
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeVpcs", &e))?;
        for v in page.vpcs() {
            out.push(Vpc {
                id: v.vpc_id().unwrap_or_default().to_string(),
                owner_id: v.owner_id().unwrap_or_default().to_string(),
                is_default: v.is_default().unwrap_or(false),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

pub async fn flow_log_resources(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Vec<String>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_flow_logs()
            .max_results(1000)
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeFlowLogs", &e))?;
        for f in page.flow_logs() {
            // Only flow logs that deliver count; a failed delivery is no logging.
            if f.flow_log_status().is_none_or(|s| s == "ACTIVE") {
                if let Some(r) = f.resource_id() {
                    out.push(r.to_string());
                }
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Every instance, or only `id`.
pub async fn instances(
    client: &aws_sdk_ec2::Client,
    id: Option<&str>,
    rl: &RateLimiter,
) -> Result<Vec<Instance>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_instances()
            .set_instance_ids(id.map(|i| vec![i.to_string()]))
            .set_max_results(page_size(id))
            .set_next_token(token.take())
            .send()
            .await
            .map_err(|e| AwsError::sdk("ec2:DescribeInstances", &e))?;
        for r in page.reservations() {
            let owner = r.owner_id().unwrap_or_default();
            for i in r.instances() {
                let md = i.metadata_options();
                out.push(Instance {
                    id: i.instance_id().unwrap_or_default().to_string(),
                    owner_id: owner.to_string(),
                    state: i
                        .state()
                        .and_then(|s| s.name())
                        .map(|n| n.as_str().to_string())
                        .unwrap_or_default(),
                    http_tokens: md
                        .and_then(|m| m.http_tokens())
                        .map(|t| t.as_str().to_string()),
                    http_endpoint: md
                        .and_then(|m| m.http_endpoint())
                        .map(|t| t.as_str().to_string()),
                    instance_profile_arn: i
                        .iam_instance_profile()
                        .and_then(|p| p.arn())
                        .map(str::to_string),
                    tags: tags(i.tags()),
                });
            }
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_ec2::types::{IpRange, Ipv6Range, PrefixListId, UserIdGroupPair};

    #[test]
    fn permissions_keep_what_restoring_them_needs() {
        let p = aws_sdk_ec2::types::IpPermission::builder()
            .ip_protocol("tcp")
            .from_port(22)
            .to_port(22)
            .ip_ranges(
                IpRange::builder()
                    .cidr_ip("0.0.0.0/0")
                    .description("ssh")
                    .build(),
            )
            .ip_ranges(IpRange::builder().cidr_ip("10.0.0.0/8").build())
            .ipv6_ranges(
                Ipv6Range::builder()
                    .cidr_ipv6("::/0")
                    .description("v6")
                    .build(),
            )
            .user_id_group_pairs(
                UserIdGroupPair::builder()
                    .group_id("sg-2")
                    .user_id("999988887777")
                    .description("peer")
                    .build(),
            )
            .prefix_list_ids(PrefixListId::builder().prefix_list_id("pl-1").build())
            .build();
        let got = permission(&p);
        assert_eq!(got.ipv4_ranges, vec!["0.0.0.0/0", "10.0.0.0/8"]);
        assert_eq!(got.description("0.0.0.0/0"), Some("ssh"));
        assert_eq!(got.description("10.0.0.0/8"), None);
        assert_eq!(got.description("::/0"), Some("v6"));
        assert_eq!(got.group_pairs, vec!["sg-2"]);
        assert_eq!(got.group_refs[0].user_id.as_deref(), Some("999988887777"));
        assert_eq!(got.prefix_lists, vec!["pl-1"]);
        // No protocol from the API is every protocol.
        let bare = permission(&aws_sdk_ec2::types::IpPermission::builder().build());
        assert_eq!(bare.protocol, "-1");
        assert!(bare.descriptions.is_empty() && bare.group_refs.is_empty());
    }

    #[test]
    fn ids_drop_the_page_size() {
        assert_eq!(page_size(None), Some(1000));
        assert_eq!(page_size(Some("sg-1")), None);
        let t = tags(&[aws_sdk_ec2::types::Tag::builder()
            .key("rampart:exempt")
            .value("true")
            .build()]);
        assert_eq!(t.get("rampart:exempt").map(String::as_str), Some("true"));
    }
}
