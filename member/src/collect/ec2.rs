//! EC2 (regional): security groups and EBS encryption by default.

use crate::aws_error::AwsError;

use crate::ratelimit::RateLimiter;
use crate::snapshot::{
    Ec2Snapshot, Instance, IpPermission, NaclEntry, NetworkAcl, SecurityGroup, Vpc,
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
        security_groups(client, rl),
        ebs_default(client, rl),
        network_acls(client, rl),
        vpcs(client, rl),
        flow_log_resources(client, rl),
        instances(client, rl)
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

async fn ebs_default(client: &aws_sdk_ec2::Client, rl: &RateLimiter) -> Result<bool, AwsError> {
    rl.acquire().await;
    let out = client
        .get_ebs_encryption_by_default()
        .send()
        .await
        .map_err(|e| AwsError::sdk("ec2:GetEbsEncryptionByDefault", &e))?;
    Ok(out.ebs_encryption_by_default().unwrap_or(false))
}

async fn security_groups(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Vec<SecurityGroup>, AwsError> {
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let out = client
            .describe_security_groups()
            .max_results(1000)
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
    }
}

async fn network_acls(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Vec<NetworkAcl>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_network_acls()
            .max_results(1000)
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
                    })
                    .collect(),
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

async fn vpcs(client: &aws_sdk_ec2::Client, rl: &RateLimiter) -> Result<Vec<Vpc>, AwsError> {
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

async fn flow_log_resources(
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

async fn instances(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Vec<Instance>, AwsError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        rl.acquire().await;
        let page = client
            .describe_instances()
            .max_results(1000)
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
