//! Controls Rampart deliberately does not fix by itself: the fix would delete data, cut
//! people's access, or needs a choice only the owner can make. Each is listed with the reason
//! and the exact command a person would run, so `rampart remediate --list` tells the truth.

use serde::Serialize;

/// A control left to people.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Manual {
    pub control: &'static str,
    /// Why Rampart does not fix it.
    pub reason: &'static str,
    /// What a person runs (placeholders in angle brackets).
    pub command: &'static str,
}

/// Every control registered as manual.
pub const MANUAL: &[Manual] = &[
    Manual {
        control: "EC2.4",
        reason: "terminating a stopped instance deletes it and its instance-store data",
        command: "aws ec2 terminate-instances --instance-ids <instance-id>",
    },
    Manual {
        control: "EC2.10",
        reason: "which VPCs need an EC2 interface endpoint, in which subnets, is the network owner's design choice",
        command: "aws ec2 create-vpc-endpoint --vpc-id <vpc-id> --vpc-endpoint-type Interface --service-name com.amazonaws.<region>.ec2 --subnet-ids <subnet-ids>",
    },
    Manual {
        control: "EC2.18",
        reason: "which ports may be open to the world is the application owner's list; revoking others would cut live traffic",
        command: "aws ec2 revoke-security-group-ingress --group-id <group-id> --ip-permissions <permission>",
    },
    Manual {
        control: "S3.6",
        reason: "narrowing another account's grant in a bucket policy can break a partner's access; the owner decides which grants stay",
        command: "aws s3api put-bucket-policy --bucket <bucket> --policy file://<narrowed-policy.json>",
    },
    Manual {
        control: "S3.11",
        reason: "event notifications need a destination (SNS, SQS, Lambda) only the owner can choose",
        command: "aws s3api put-bucket-notification-configuration --bucket <bucket> --notification-configuration file://<config.json>",
    },
    Manual {
        control: "S3.13",
        reason: "a lifecycle rule expires or transitions objects: it deletes data on a schedule only the owner can set",
        command: "aws s3api put-bucket-lifecycle-configuration --bucket <bucket> --lifecycle-configuration file://<rules.json>",
    },
    Manual {
        control: "RDS.4",
        reason: "an unencrypted snapshot cannot be encrypted in place: it is copied with a key and the original deleted, which is the owner's call",
        command: "aws rds copy-db-snapshot --source-db-snapshot-identifier <snapshot> --target-db-snapshot-identifier <snapshot>-encrypted --kms-key-id <key>",
    },
    Manual {
        control: "RDS.6",
        reason: "enhanced monitoring needs a monitoring role and an interval the owner chooses (it has a cost)",
        command: "aws rds modify-db-instance --db-instance-identifier <db> --monitoring-interval 60 --monitoring-role-arn <role-arn> --apply-immediately",
    },
    Manual {
        control: "SecretsManager.1",
        reason: "rotation needs a rotation function that knows how to change the secret in its system",
        command: "aws secretsmanager rotate-secret --secret-id <secret> --rotation-lambda-arn <function-arn> --rotation-rules AutomaticallyAfterDays=30",
    },
    Manual {
        control: "SecretsManager.3",
        reason: "removing an unused secret deletes it; whether it is unused is the owner's judgement",
        command: "aws secretsmanager delete-secret --secret-id <secret> --recovery-window-in-days 30",
    },
    Manual {
        control: "SecretsManager.4",
        reason: "rotating a secret changes a credential a system depends on; only its rotation function can do it safely",
        command: "aws secretsmanager rotate-secret --secret-id <secret>",
    },
    Manual {
        control: "SSM.1",
        reason: "managing an instance with Systems Manager means giving it an instance role and an agent, a change to a running workload",
        command: "aws ec2 associate-iam-instance-profile --instance-id <instance-id> --iam-instance-profile Name=<profile-with-AmazonSSMManagedInstanceCore>",
    },
    Manual {
        control: "CodeBuild.2",
        reason: "moving clear-text credentials out of a project's environment needs the secret stored and the build changed by its owner",
        command: "aws codebuild update-project --name <project> --environment file://<environment-with-secrets-manager-references.json>",
    },
    Manual {
        control: "CloudFormation.1",
        reason: "which SNS topic a stack notifies is the stack owner's choice",
        command: "aws cloudformation update-stack --stack-name <stack> --use-previous-template --notification-arns <topic-arn>",
    },
    Manual {
        control: "CloudFront.1",
        reason: "a default root object names content only the distribution's owner knows",
        command: "aws cloudfront update-distribution --id <id> --distribution-config file://<config-with-DefaultRootObject.json> --if-match <etag>",
    },
    Manual {
        control: "CloudFront.12",
        reason: "repointing an origin at a bucket that does not exist needs the right bucket, which only the owner knows",
        command: "aws cloudfront update-distribution --id <id> --distribution-config file://<config-with-existing-origin.json> --if-match <etag>",
    },
    Manual {
        control: "ELB.1",
        reason: "redirecting HTTP to HTTPS needs an HTTPS listener with a certificate the owner provides",
        command: "aws elbv2 modify-listener --listener-arn <http-listener> --default-actions Type=redirect,RedirectConfig={Protocol=HTTPS,Port=443,StatusCode=HTTP_301}",
    },
    Manual {
        control: "ECS.5",
        reason: "making a container's root filesystem read-only can break the application; it needs a new task definition revision by its owner",
        command: "aws ecs register-task-definition --cli-input-json file://<task-definition-with-readonlyRootFilesystem.json>",
    },
    Manual {
        control: "AutoScaling.3",
        reason: "launch configurations cannot be changed; IMDSv2 needs a new launch template the owner tests",
        command: "aws ec2 create-launch-template --launch-template-name <name> --launch-template-data MetadataOptions={HttpTokens=required}",
    },
    Manual {
        control: "AutoScaling.5",
        reason: "taking public addresses away from a group's instances can cut the application off; it needs a new launch template",
        command: "aws ec2 create-launch-template --launch-template-name <name> --launch-template-data NetworkInterfaces=[{DeviceIndex=0,AssociatePublicIpAddress=false}]",
    },
    Manual {
        control: "Macie.1",
        reason: "enabling Macie starts a paid service and its discovery jobs; turning it off again deletes its findings",
        command: "aws macie2 enable-macie",
    },
    Manual {
        control: "DynamoDB.1",
        reason: "capacity autoscaling needs minimum and maximum capacities only the table's owner can size",
        command: "aws application-autoscaling register-scalable-target --service-namespace dynamodb --resource-id table/<table> --scalable-dimension dynamodb:table:ReadCapacityUnits --min-capacity <n> --max-capacity <m>",
    },
    Manual {
        control: "CloudTrail.5",
        reason: "sending a trail to CloudWatch Logs needs a log group and a delivery role whose retention and cost the owner chooses",
        command: "aws cloudtrail update-trail --name <trail> --cloud-watch-logs-log-group-arn <log-group-arn> --cloud-watch-logs-role-arn <role-arn>",
    },
    Manual {
        control: "CloudTrail.2",
        reason: "encrypting a trail needs a KMS key whose policy lets CloudTrail encrypt and every log reader decrypt; which key and which readers is the owner's choice, and a wrong policy stops log delivery",
        command: "aws cloudtrail update-trail --name <trail> --kms-key-id <key-arn-with-cloudtrail-policy>",
    },
    Manual {
        control: "CloudTrail.7",
        reason: "server access logging of the trail bucket needs a target bucket (in the same region and account) that only the owner can choose",
        command: "aws s3api put-bucket-logging --bucket <trail-bucket> --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"<log-bucket>\",\"TargetPrefix\":\"<trail-bucket>/\"}}'",
    },
    Manual {
        control: "S3.9",
        reason: "server access logging needs a target bucket (in the same region and account) that only the owner can choose",
        command: "aws s3api put-bucket-logging --bucket <bucket> --bucket-logging-status '{\"LoggingEnabled\":{\"TargetBucket\":\"<log-bucket>\",\"TargetPrefix\":\"<bucket>/\"}}'",
    },
    Manual {
        control: "EC2.6",
        reason: "VPC flow logs need a destination (a log group with a delivery role, or a bucket) and a retention the owner chooses, and they cost money",
        command: "aws ec2 create-flow-logs --resource-type VPC --resource-ids <vpc-id> --traffic-type REJECT --log-destination-type s3 --log-destination arn:aws:s3:::<log-bucket>",
    },
    Manual {
        control: "IAM.18",
        reason: "which people may open support cases is the owner's decision: creating a role for AWSSupportAccess grants access to someone",
        command: "aws iam create-role --role-name <support-role> --assume-role-policy-document file://<trust-policy.json> && aws iam attach-role-policy --role-name <support-role> --policy-arn arn:aws:iam::aws:policy/AWSSupportAccess",
    },
    Manual {
        control: "RDS.5",
        reason: "Multi-AZ doubles the instance's cost and changes its failover behaviour: the owner's call, at a maintenance window",
        command: "aws rds modify-db-instance --db-instance-identifier <db> --multi-az --apply-immediately",
    },
    Manual {
        control: "AutoScaling.1",
        reason: "switching the group to ELB health checks makes the load balancer's view decide instance replacement: a wrong health check path terminates healthy instances",
        command: "aws autoscaling update-auto-scaling-group --auto-scaling-group-name <group> --health-check-type ELB --health-check-grace-period 300",
    },
    Manual {
        control: "SNS.2",
        reason: "delivery status logging needs IAM roles SNS assumes to write to CloudWatch Logs, which the owner creates and approves",
        command: "aws sns set-topic-attributes --topic-arn <topic-arn> --attribute-name HTTPSuccessFeedbackRoleArn --attribute-value <role-arn>",
    },
    Manual {
        control: "APIGateway.1",
        reason: "execution logging needs the account's API Gateway CloudWatch role and a log level the owner chooses (full request logging can record secrets)",
        command: "aws apigateway update-stage --rest-api-id <api-id> --stage-name <stage> --patch-operations op=replace,path=/*/*/logging/loglevel,value=ERROR",
    },
    Manual {
        control: "Redshift.4",
        reason: "audit logging needs a log bucket (or CloudWatch Logs export) the owner chooses",
        command: "aws redshift enable-logging --cluster-identifier <cluster> --bucket-name <log-bucket>",
    },
    Manual {
        control: "GuardDuty.2",
        reason: "the tag keys and values a filter must carry are the owner's tagging scheme",
        command: "aws guardduty tag-resource --resource-arn <filter-arn> --tags <key>=<value>",
    },
    Manual {
        control: "GuardDuty.4",
        reason: "the tag keys and values a detector must carry are the owner's tagging scheme",
        command: "aws guardduty tag-resource --resource-arn <detector-arn> --tags <key>=<value>",
    },
    Manual {
        control: "ElastiCache.3",
        reason: "automatic failover needs at least one replica per shard, which adds nodes and cost the owner must approve",
        command: "aws elasticache modify-replication-group --replication-group-id <group> --automatic-failover-enabled --apply-immediately",
    },
    Manual {
        control: "DynamoDB.5",
        reason: "the tag keys and values a table must carry are the owner's tagging scheme",
        command: "aws dynamodb tag-resource --resource-arn <table-arn> --tags Key=<key>,Value=<value>",
    },
];

/// The manual entry of a control, if it is one.
pub fn for_control(control: &str) -> Option<&'static Manual> {
    MANUAL
        .iter()
        .find(|m| m.control.eq_ignore_ascii_case(control))
}
