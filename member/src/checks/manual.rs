//! Requirements no API can decide: each is a check whose outcome is always NOT_AVAILABLE with
//! the reason, so every account's report shows them instead of silently leaving them out.

use super::check::{Check, Eval};
use rampart_common::{CheckMeta, Scope, Severity};

const fn manual(
    id: &'static str,
    title: &'static str,
    description: &'static str,
    remediation: &'static str,
    remediation_url: &'static str,
    reason: &'static str,
) -> Check {
    Check {
        meta: CheckMeta {
            id,
            title,
            description,
            severity: Severity::Informational,
            scope: Scope::Account,
            security_control_id: None,
            remediation,
            remediation_url,
        },
        eval: Eval::NotAvailable(reason),
    }
}

pub const CHECKS: &[Check] = &[
    manual(
        "manual.contact-details",
        "Account contact details are current",
        "AWS uses the account's primary contact for abuse and security notices.",
        "Review the primary contact in the Billing and Cost Management console (or account:PutContactInformation).",
        "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-update-contact-primary.html",
        "manual control: account:GetContactInformation returns the contact, but whether it is current and reachable needs a person to confirm",
    ),
    manual(
        "manual.security-questions",
        "Security challenge questions are registered for the root user",
        "Security questions let AWS Support authenticate the owner of a locked-out root user.",
        "Sign in as the root user and set the security challenge questions on the account page.",
        "https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-security-challenge.html",
        "no API exists: security challenge questions are visible only to the root user in the console",
    ),
    manual(
        "manual.instance-roles",
        "IAM instance roles are used for AWS resource access from instances",
        "Instances should get credentials from an instance profile, not from keys stored on them.",
        "Attach an instance profile with the needed role and remove stored access keys from instances.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_switch-role-ec2.html",
        "manual control: whether an instance uses stored keys instead of its role needs inspection of the instance; DescribeInstances shows profiles, not the credentials software uses",
    ),
    manual(
        "manual.central-identity",
        "IAM users are managed centrally via identity federation or AWS Organizations",
        "Central identity management keeps access consistent across the accounts of an organization.",
        "Use IAM Identity Center or a SAML/OIDC identity provider and remove local IAM users where possible.",
        "https://docs.aws.amazon.com/singlesignon/latest/userguide/what-is.html",
        "manual control: whether identities are centrally managed is an organizational judgement no API answers",
    ),
    manual(
        "manual.s3-data-classification",
        "Data in Amazon S3 is discovered, classified and secured when required",
        "Knowing where sensitive data lives is the basis for protecting it.",
        "Enable Amazon Macie (or a comparable tool) with discovery jobs over the buckets holding data.",
        "https://docs.aws.amazon.com/macie/latest/user/what-is-macie.html",
        "manual control: Macie's status can be read, but whether all data has been discovered, classified and secured needs a person to judge (third-party tools are acceptable)",
    ),
    manual(
        "manual.vpc-peering-routes",
        "Routing tables for VPC peering are least access",
        "Peering routes wider than needed expose more of the peer network than intended.",
        "Narrow routes to a peering connection to the CIDRs that must be reached.",
        "https://docs.aws.amazon.com/vpc/latest/peering/peering-configurations-partial-access.html",
        "manual control: DescribeRouteTables lists peering routes, but which CIDRs are 'least access' depends on intent no API records",
    ),
    manual(
        "manual.resource-policy-principal-star",
        "Resource policies do not allow unrestricted access with Principal '*'",
        "A resource policy granting '*' without a narrowing condition opens the resource to any AWS principal.",
        "Review resource-based policies (S3, SQS, SNS, KMS, Lambda, ...) and scope Principal '*' statements with conditions such as aws:PrincipalOrgID.",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-resources.html",
        "manual control: resource policies span dozens of services and whether a '*' statement is narrowed enough by its conditions needs a person to judge; IAM Access Analyzer (1.20/2.18) reports public and cross-account access",
    ),
    manual(
        "manual.web-front-end-logging",
        "AWS-managed web front-end services have access logging enabled",
        "Access logs of load balancers, CloudFront, API Gateway and similar front ends are the record of who reached a workload.",
        "Enable access logging on every load balancer, CloudFront distribution, API Gateway stage and AppSync API in use.",
        "https://docs.aws.amazon.com/elasticloadbalancing/latest/application/enable-access-logging.html",
        "manual control: the benchmark leaves which web front-end services are in use, and so must log, to the assessor",
    ),
    manual(
        "manual.vpc-endpoints",
        "VPC endpoints are used for access to AWS services",
        "VPC endpoints keep traffic to AWS services on the AWS network instead of the internet.",
        "Create gateway or interface endpoints for the AWS services your VPCs call, and route to them.",
        "https://docs.aws.amazon.com/vpc/latest/privatelink/create-interface-endpoint.html",
        "manual control: which AWS services each VPC needs endpoints for depends on the workload, which no API records",
    ),
];
