//! EC2 (regional): security groups and EBS encryption by default.

use crate::error_text::describe;
use crate::ratelimit::RateLimiter;
use crate::snapshot::{Ec2Snapshot, IpPermission, SecurityGroup};
use rampart_common::Permissions;

pub const PERMISSIONS: Permissions = Permissions {
    component: "collect/ec2",
    actions: &[
        "ec2:DescribeSecurityGroups",
        "ec2:GetEbsEncryptionByDefault",
    ],
};

pub async fn collect(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Ec2Snapshot, String> {
    let (groups, ebs) = tokio::join!(security_groups(client, rl), ebs_default(client, rl));
    Ok(Ec2Snapshot {
        ebs_encryption_by_default: ebs?,
        security_groups: groups?,
    })
}

async fn ebs_default(client: &aws_sdk_ec2::Client, rl: &RateLimiter) -> Result<bool, String> {
    rl.acquire().await;
    let out = client
        .get_ebs_encryption_by_default()
        .send()
        .await
        .map_err(|e| format!("ec2:GetEbsEncryptionByDefault: {}", describe(&e)))?;
    Ok(out.ebs_encryption_by_default().unwrap_or(false))
}

async fn security_groups(
    client: &aws_sdk_ec2::Client,
    rl: &RateLimiter,
) -> Result<Vec<SecurityGroup>, String> {
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
            .map_err(|e| format!("ec2:DescribeSecurityGroups: {}", describe(&e)))?;
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
