//! Benchmark tables: requirement ids mapped to the checks that decide them.

use rampart_common::{Benchmark, Requirement};

/// CIS AWS Foundations Benchmark v3.0.0 (the requirements Rampart evaluates so far).
pub const CIS_V3_0_0: Benchmark = Benchmark {
    name: "CIS AWS Foundations Benchmark v3.0.0",
    requirements: &[
        Requirement {
            id: "1.4",
            title: "Ensure no 'root' user account access key exists",
            level: 1,
            automated: true,
            checks: &["iam.root-access-keys"],
            not_available_reason: None,
        },
        Requirement {
            id: "1.5",
            title: "Ensure MFA is enabled for the 'root' user account",
            level: 1,
            automated: true,
            checks: &["iam.root-mfa"],
            not_available_reason: None,
        },
        Requirement {
            id: "1.8",
            title: "Ensure IAM password policy requires minimum length of 14 or greater",
            level: 1,
            automated: true,
            checks: &["iam.password-min-length"],
            not_available_reason: None,
        },
        Requirement {
            id: "1.9",
            title: "Ensure IAM password policy prevents password reuse",
            level: 1,
            automated: true,
            checks: &["iam.password-reuse"],
            not_available_reason: None,
        },
        Requirement {
            id: "2.2.1",
            title: "Ensure EBS Volume Encryption is Enabled in all Regions",
            level: 1,
            automated: true,
            checks: &["ec2.ebs-default-encryption"],
            not_available_reason: None,
        },
        Requirement {
            id: "3.1",
            title: "Ensure CloudTrail is enabled in all regions",
            level: 1,
            automated: true,
            checks: &["cloudtrail.multi-region-logging"],
            not_available_reason: None,
        },
        Requirement {
            id: "5.2",
            title: "Ensure no security groups allow ingress from 0.0.0.0/0 to remote server administration ports",
            level: 1,
            automated: true,
            checks: &["ec2.sg-admin-ports-ipv4"],
            not_available_reason: None,
        },
        Requirement {
            id: "5.3",
            title: "Ensure no security groups allow ingress from ::/0 to remote server administration ports",
            level: 1,
            automated: true,
            checks: &["ec2.sg-admin-ports-ipv6"],
            not_available_reason: None,
        },
        Requirement {
            id: "5.4",
            title: "Ensure the default security group of every VPC restricts all traffic",
            level: 2,
            automated: true,
            checks: &["ec2.default-sg-closed"],
            not_available_reason: None,
        },
    ],
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::by_id;

    #[test]
    fn every_check_in_the_table_exists() {
        for id in CIS_V3_0_0.check_ids() {
            assert!(
                by_id(id).is_some(),
                "{id} is in the table but not in the registry"
            );
        }
    }
}
