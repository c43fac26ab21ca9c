//! Resource ids as Rampart names them: one builder per resource kind, used by the checks (the
//! ids findings carry) and the remedies (the ids `--resource` names and plans report), so the
//! two can never disagree. Also the few ARN readers remedies need to narrow to one resource.
//!
//! Ids are ARNs where AWS has one; the account itself is `AWS::::Account:<id>`, the way ASFF
//! names it.

/// The account itself (`AWS::::Account:111122223333`).
pub fn account(account_id: &str) -> String {
    format!("AWS::::Account:{account_id}")
}

/// A regional resource of `service` owned by `account`: `arn:<p>:<svc>:<region>:<acct>:<res>`.
fn regional(partition: &str, service: &str, region: &str, account: &str, res: &str) -> String {
    format!("arn:{partition}:{service}:{region}:{account}:{res}")
}

/// An EC2 security group; `owner` is the group's owner account (the account for its own).
pub fn security_group(partition: &str, region: &str, owner: &str, group_id: &str) -> String {
    regional(
        partition,
        "ec2",
        region,
        owner,
        &format!("security-group/{group_id}"),
    )
}

/// An EC2 network ACL.
pub fn network_acl(partition: &str, region: &str, owner: &str, acl_id: &str) -> String {
    regional(
        partition,
        "ec2",
        region,
        owner,
        &format!("network-acl/{acl_id}"),
    )
}

/// A VPC.
pub fn vpc(partition: &str, region: &str, owner: &str, vpc_id: &str) -> String {
    regional(partition, "ec2", region, owner, &format!("vpc/{vpc_id}"))
}

/// An EC2 instance.
pub fn instance(partition: &str, region: &str, owner: &str, instance_id: &str) -> String {
    regional(
        partition,
        "ec2",
        region,
        owner,
        &format!("instance/{instance_id}"),
    )
}

/// An S3 bucket (bucket ARNs carry neither region nor account).
pub fn s3_bucket(partition: &str, bucket: &str) -> String {
    format!("arn:{partition}:s3:::{bucket}")
}

/// Every object of an S3 bucket (`<bucket ARN>/*`), as bucket policies name them.
pub fn s3_objects(partition: &str, bucket: &str) -> String {
    format!("{}/*", s3_bucket(partition, bucket))
}

/// A KMS key by its key id.
pub fn kms_key(partition: &str, region: &str, account: &str, key_id: &str) -> String {
    regional(partition, "kms", region, account, &format!("key/{key_id}"))
}

/// A CloudTrail trail; `region` is its home region.
pub fn trail(partition: &str, region: &str, account: &str, name: &str) -> String {
    regional(
        partition,
        "cloudtrail",
        region,
        account,
        &format!("trail/{name}"),
    )
}

/// A CloudWatch Logs log group, as its tags and Security Hub name it (no `:*` suffix; the
/// trail's `CloudWatchLogsLogGroupArn` carries one).
pub fn log_group(partition: &str, region: &str, account: &str, name: &str) -> String {
    regional(
        partition,
        "logs",
        region,
        account,
        &format!("log-group:{name}"),
    )
}

/// An IAM user; `path` is the user's path (`/` for most users, `/team/` for others).
pub fn iam_user(partition: &str, account: &str, path: &str, name: &str) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let sep = if path.ends_with('/') { "" } else { "/" };
    format!("arn:{partition}:iam::{account}:user{path}{sep}{name}")
}

/// An AWS managed IAM policy (`arn:aws:iam::aws:policy/AWSSupportAccess`).
pub fn aws_managed_policy(partition: &str, name: &str) -> String {
    format!("arn:{partition}:iam::aws:policy/{name}")
}

/// The resource's own name: the last path segment of an ARN's resource part (`sg-1` of
/// `...:security-group/sg-1`, `bucket` of `arn:aws:s3:::bucket`), or the id itself when it is
/// not an ARN.
pub fn resource_name(id: &str) -> &str {
    if id.starts_with("arn:") {
        let res = id.splitn(6, ':').nth(5).unwrap_or(id);
        res.rsplit('/').next().unwrap_or(res)
    } else {
        id
    }
}

/// The region field of an ARN, when it has one (`None` for S3 buckets, IAM and non-ARNs).
pub fn region(id: &str) -> Option<&str> {
    id.starts_with("arn:")
        .then(|| id.split(':').nth(3))
        .flatten()
        .filter(|r| !r.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACCT: &str = "111122223333";

    #[test]
    fn builds_the_ids_findings_carry() {
        assert_eq!(account(ACCT), "AWS::::Account:111122223333");
        assert_eq!(
            security_group("aws", "eu-west-1", ACCT, "sg-1"),
            "arn:aws:ec2:eu-west-1:111122223333:security-group/sg-1"
        );
        assert_eq!(
            network_acl("aws", "eu-west-1", ACCT, "acl-1"),
            "arn:aws:ec2:eu-west-1:111122223333:network-acl/acl-1"
        );
        assert_eq!(
            vpc("aws-cn", "cn-north-1", ACCT, "vpc-1"),
            "arn:aws-cn:ec2:cn-north-1:111122223333:vpc/vpc-1"
        );
        assert_eq!(
            instance("aws", "us-east-1", ACCT, "i-1"),
            "arn:aws:ec2:us-east-1:111122223333:instance/i-1"
        );
        assert_eq!(s3_bucket("aws", "logs"), "arn:aws:s3:::logs");
        assert_eq!(
            s3_objects("aws-us-gov", "logs"),
            "arn:aws-us-gov:s3:::logs/*"
        );
        assert_eq!(
            kms_key("aws", "eu-west-1", ACCT, "k-1"),
            "arn:aws:kms:eu-west-1:111122223333:key/k-1"
        );
        assert_eq!(
            trail("aws", "eu-west-1", ACCT, "main"),
            "arn:aws:cloudtrail:eu-west-1:111122223333:trail/main"
        );
        assert_eq!(
            log_group("aws", "eu-west-1", ACCT, "/aws/lambda/f"),
            "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/f"
        );
    }

    #[test]
    fn iam_names_have_no_region() {
        assert_eq!(
            aws_managed_policy("aws-us-gov", "AWSSupportAccess"),
            "arn:aws-us-gov:iam::aws:policy/AWSSupportAccess"
        );
        assert_eq!(region(&aws_managed_policy("aws", "P")), None);
    }

    #[test]
    fn iam_users_keep_their_path() {
        assert_eq!(
            iam_user("aws", ACCT, "/", "alice"),
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(
            iam_user("aws", ACCT, "", "alice"),
            "arn:aws:iam::111122223333:user/alice"
        );
        assert_eq!(
            iam_user("aws", ACCT, "/team/", "bob"),
            "arn:aws:iam::111122223333:user/team/bob"
        );
        assert_eq!(
            iam_user("aws", ACCT, "/team", "bob"),
            "arn:aws:iam::111122223333:user/team/bob"
        );
    }

    #[test]
    fn reads_back_what_it_builds() {
        let sg = security_group("aws", "eu-west-1", ACCT, "sg-1");
        assert_eq!(resource_name(&sg), "sg-1");
        assert_eq!(region(&sg), Some("eu-west-1"));
        let b = s3_bucket("aws", "bucket");
        assert_eq!(resource_name(&b), "bucket");
        assert_eq!(region(&b), None);
        let u = iam_user("aws", ACCT, "/team/", "bob");
        assert_eq!(resource_name(&u), "bob");
        assert_eq!(region(&u), None);
        assert_eq!(resource_name("sg-2"), "sg-2");
        assert_eq!(region("sg-2"), None);
        assert_eq!(
            region(&kms_key("aws", "eu-west-1", ACCT, "k")),
            Some("eu-west-1")
        );
        assert_eq!(resource_name(&account(ACCT)), "AWS::::Account:111122223333");
    }
}
