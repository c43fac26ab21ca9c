//! EC2 snapshot data: security groups, network ACLs, VPCs and instances of one account-region.
//!
//! Their resource ids come from here (through `rampart_common::arn`), for the checks and the
//! remedies alike. Fields added after snapshots were first saved default when absent.

use super::tags::Tags;
use rampart_common::arn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ec2Snapshot {
    pub ebs_encryption_by_default: bool,
    pub security_groups: Vec<SecurityGroup>,
    pub network_acls: Vec<NetworkAcl>,
    pub vpcs: Vec<Vpc>,
    /// Resource ids (VPCs, subnets, ENIs) that have at least one flow log.
    pub flow_log_resources: Vec<String>,
    pub instances: Vec<Instance>,
}

/// The owner a resource id names: the API's owner, else the account reading it.
fn owner<'a>(owner_id: &'a str, account: &'a str) -> &'a str {
    if owner_id.is_empty() {
        account
    } else {
        owner_id
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NetworkAcl {
    pub id: String,
    pub vpc_id: Option<String>,
    pub owner_id: String,
    pub is_default: bool,
    pub entries: Vec<NaclEntry>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl NetworkAcl {
    pub fn arn(&self, partition: &str, region: &str, account: &str) -> String {
        arn::network_acl(partition, region, owner(&self.owner_id, account), &self.id)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NaclEntry {
    pub rule_number: i32,
    pub egress: bool,
    /// `-1` all, `6` tcp, `17` udp, ...
    pub protocol: String,
    pub allow: bool,
    pub cidr: Option<String>,
    pub ipv6_cidr: Option<String>,
    pub port_from: Option<i32>,
    pub port_to: Option<i32>,
    /// ICMP type and code of an ICMP entry (restoring an entry needs them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_type: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icmp_code: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vpc {
    pub id: String,
    pub owner_id: String,
    pub is_default: bool,
}

impl Vpc {
    pub fn arn(&self, partition: &str, region: &str, account: &str) -> String {
        arn::vpc(partition, region, owner(&self.owner_id, account), &self.id)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    /// The reservation's owner.
    pub owner_id: String,
    pub state: String,
    /// `required` (IMDSv2 only) or `optional`; `None` when the API left it out.
    pub http_tokens: Option<String>,
    /// `enabled` or `disabled`.
    pub http_endpoint: Option<String>,
    pub instance_profile_arn: Option<String>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl Instance {
    pub fn arn(&self, partition: &str, region: &str, account: &str) -> String {
        arn::instance(partition, region, owner(&self.owner_id, account), &self.id)
    }

    /// Not terminated or on its way there: what the instance checks judge.
    pub fn is_live(&self) -> bool {
        self.state != "terminated" && self.state != "shutting-down"
    }

    /// IMDSv2 only, or no metadata endpoint at all (EC2.8 passes either way).
    pub fn requires_imdsv2(&self) -> bool {
        self.http_endpoint.as_deref() == Some("disabled")
            || self.http_tokens.as_deref() == Some("required")
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SecurityGroup {
    pub group_id: String,
    pub group_name: String,
    pub vpc_id: Option<String>,
    pub owner_id: String,
    pub ingress: Vec<IpPermission>,
    pub egress: Vec<IpPermission>,
    #[serde(default, skip_serializing_if = "Tags::is_empty")]
    pub tags: Tags,
}

impl SecurityGroup {
    pub fn arn(&self, partition: &str, region: &str, account: &str) -> String {
        arn::security_group(
            partition,
            region,
            owner(&self.owner_id, account),
            &self.group_id,
        )
    }
}

/// One ingress or egress permission.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct IpPermission {
    /// `tcp`, `udp`, `icmp`, a protocol number, or `-1` for all.
    pub protocol: String,
    pub from_port: Option<i32>,
    pub to_port: Option<i32>,
    pub ipv4_ranges: Vec<String>,
    pub ipv6_ranges: Vec<String>,
    /// Referenced security groups.
    pub group_pairs: Vec<String>,
    /// Descriptions of the IPv4 and IPv6 ranges, by CIDR (a revoked rule is authorized back
    /// with them).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub descriptions: BTreeMap<String, String>,
    /// The referenced groups in full (owner account, description), as authorizing them back
    /// needs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub group_refs: Vec<GroupRef>,
    /// Referenced managed prefix lists (`pl-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub prefix_lists: Vec<String>,
}

/// A security group a permission references.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupRef {
    pub group_id: Option<String>,
    /// The referenced group's owner account.
    pub user_id: Option<String>,
    pub description: Option<String>,
}

impl IpPermission {
    /// True when this permission lets traffic to `port` through (protocol -1 is every port).
    pub fn covers_port(&self, port: i32) -> bool {
        match self.protocol.as_str() {
            "-1" | "all" => true,
            "tcp" | "6" | "udp" | "17" => match (self.from_port, self.to_port) {
                (Some(from), Some(to)) if from == -1 || to == -1 => true,
                (Some(from), Some(to)) => from <= port && port <= to,
                // No ports on tcp/udp means the API left them out: every port.
                _ => true,
            },
            _ => false,
        }
    }

    /// The description of the range `cidr`, if it has one.
    pub fn description(&self, cidr: &str) -> Option<&str> {
        self.descriptions.get(cidr).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_name_the_owner_or_the_account() {
        let mut g = SecurityGroup {
            group_id: "sg-1".into(),
            ..SecurityGroup::default()
        };
        assert_eq!(
            g.arn("aws", "eu-west-1", "111122223333"),
            "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"
        );
        g.owner_id = "999988887777".into();
        assert_eq!(
            g.arn("aws", "eu-west-1", "111122223333"),
            "arn:aws:ec2:eu-west-1:999988887777:security-group/sg-1"
        );
        let i = Instance {
            id: "i-1".into(),
            state: "shutting-down".into(),
            http_endpoint: Some("disabled".into()),
            ..Instance::default()
        };
        assert_eq!(
            i.arn("aws", "us-east-1", "111122223333"),
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        );
        assert!(!i.is_live() && i.requires_imdsv2());
    }
}
