//! Fixtures: an organization of member accounts with planted configuration, built through the
//! real SDK against the emulator, each member reached through its own assumed role.

use aws_config::sts::AssumeRoleProvider;
use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_types::region::Region;
use futures::stream::{self, StreamExt, TryStreamExt};

/// The role every fixture member is reached through (Organizations' own default).
pub const MEMBER_ROLE: &str = "OrganizationAccountAccessRole";

/// What to plant in one member account. Defaults are the secure choice.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Password policy (minimum length, reuse prevention); `None` leaves the account without one.
    pub password_policy: Option<(i32, i32)>,
    /// A security group open to 0.0.0.0/0 on port 22 in each region.
    pub open_ssh: bool,
    /// A security group open to ::/0 on 3389 (via a port range) in each region.
    pub open_rdp_ipv6: bool,
    /// EBS encryption by default in each region.
    pub ebs_encryption: bool,
    /// A logging multi-region trail recording all management events.
    pub trail: bool,
    /// With `trail`: the full CIS 4.x chain: the trail delivers to CloudWatch Logs, a metric
    /// filter for every CIS pattern, an alarm on each filter's metric, and the alarms notify an
    /// SNS topic with a confirmed subscription.
    pub monitoring: bool,
    /// With `monitoring`: one planted break in the chain.
    pub monitoring_gap: Option<MonitoringGap>,
    /// An IAM Access Analyzer (account zone of trust) in each region (1.20).
    pub access_analyzer: bool,
    /// Every planted bucket has versioning with MFA Delete, set as the root user with its MFA
    /// device would (2.1.2).
    pub mfa_delete: bool,
    /// An IAM user `legacy-admin` with a console password, no MFA, two active unused keys, and
    /// a customer managed `*:*` policy attached directly.
    pub risky_user: bool,
    /// A SECURITY alternate contact (1.2).
    pub security_contact: bool,
    /// With `trail`: the trail records S3 object-level read and write events for all buckets.
    pub trail_data_events: bool,
    /// With `trail`: the trail bucket has server access logging to an `access-logs-*` bucket.
    pub trail_bucket_logging: bool,
    /// A bucket `open-data-<account>` in `us-west-2` with no policy and no public access block,
    /// and no account-level block either. Otherwise the account-level block is on, and every
    /// planted bucket has an SSL-only policy and its own block.
    pub open_bucket: bool,
    /// An RDS instance `db-plain` that is not encrypted at rest (otherwise compliant).
    pub rds_unencrypted: bool,
    /// An RDS instance `db-public` that is publicly accessible (otherwise compliant).
    pub rds_public: bool,
    /// An RDS instance `db-pinned` with automatic minor version upgrades off (otherwise compliant).
    pub rds_no_minor_upgrades: bool,
    /// An unencrypted EFS file system (next to an encrypted one).
    pub efs_unencrypted: bool,
    /// A customer managed KMS key without rotation (next to one with rotation).
    pub kms_no_rotation: bool,
    /// An IAM server certificate (the emulator reports every one as expired in 2012).
    pub expired_certificate: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            password_policy: Some((14, 24)),
            open_ssh: false,
            open_rdp_ipv6: false,
            ebs_encryption: true,
            trail: true,
            monitoring: true,
            monitoring_gap: None,
            access_analyzer: true,
            mfa_delete: true,
            risky_user: false,
            security_contact: true,
            trail_data_events: true,
            trail_bucket_logging: true,
            open_bucket: false,
            rds_unencrypted: false,
            rds_public: false,
            rds_no_minor_upgrades: false,
            efs_unencrypted: false,
            kms_no_rotation: false,
            expired_certificate: false,
        }
    }
}

/// A member with nothing planted (only the role the fixtures always create).
pub fn bare() -> Profile {
    Profile {
        password_policy: None,
        ebs_encryption: false,
        trail: false,
        monitoring: false,
        access_analyzer: false,
        mfa_delete: false,
        security_contact: false,
        trail_data_events: false,
        trail_bucket_logging: false,
        ..Profile::default()
    }
}

impl Profile {
    /// A realistic mix for demos: index `i` decides which mistakes an account has.
    pub fn mixed(i: usize) -> Profile {
        Profile {
            password_policy: match i % 4 {
                0 => Some((14, 24)),
                1 => Some((8, 0)),
                2 => None,
                _ => Some((16, 24)),
            },
            open_ssh: i % 3 == 1,
            open_rdp_ipv6: i % 5 == 2,
            ebs_encryption: i.is_multiple_of(2),
            trail: i % 4 != 3,
            monitoring: false,
            monitoring_gap: None,
            access_analyzer: i % 3 != 1,
            mfa_delete: i.is_multiple_of(5),
            risky_user: i % 3 == 2,
            security_contact: i % 5 != 4,
            trail_data_events: i % 2 == 1,
            trail_bucket_logging: !i.is_multiple_of(3),
            open_bucket: i % 4 == 2,
            rds_unencrypted: i % 6 == 1,
            rds_public: i % 7 == 3,
            rds_no_minor_upgrades: false,
            efs_unencrypted: i % 5 == 3,
            kms_no_rotation: i % 4 == 1,
            expired_certificate: i % 6 == 5,
        }
    }
}

/// A break in an otherwise complete CIS monitoring chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitoringGap {
    /// No alarm watches the metric of this requirement's filter (e.g. "4.3").
    NoAlarmFor(&'static str),
    /// The alarms' SNS topic has no subscription at all.
    NoSubscriber,
}

/// One created member account.
#[derive(Debug, Clone)]
pub struct MemberFixture {
    pub id: String,
    pub name: String,
    pub profile: Profile,
}

/// The organization built for a test.
#[derive(Debug, Clone)]
pub struct OrgFixture {
    pub management: String,
    pub members: Vec<MemberFixture>,
    pub regions: Vec<String>,
}

impl OrgFixture {
    /// The members as fleet targets (what discovery would return, without OUs).
    pub fn targets(&self) -> Vec<rampart_hub::org::Account> {
        self.members
            .iter()
            .map(|m| rampart_hub::org::Account {
                id: m.id.clone(),
                name: m.name.clone(),
                parent: None,
                ancestors: vec![],
            })
            .collect()
    }
}

/// SDK config acting in `account_id` through the member role, as the hub would.
pub async fn member_config(base: &SdkConfig, account_id: &str, region: &str) -> SdkConfig {
    let provider =
        AssumeRoleProvider::builder(format!("arn:aws:iam::{account_id}:role/{MEMBER_ROLE}"))
            .session_name("rampart-testbed")
            .region(Region::new(region.to_string()))
            .configure(base)
            .build()
            .await;
    base.to_builder()
        .region(Region::new(region.to_string()))
        .credentials_provider(SharedCredentialsProvider::new(provider))
        .build()
}

/// Creates an organization with one member per profile and plants each profile in `regions`.
pub async fn create_org(
    base: &SdkConfig,
    profiles: &[Profile],
    regions: &[&str],
) -> anyhow::Result<OrgFixture> {
    aws_sdk_organizations::Client::new(base)
        .create_organization()
        .feature_set(aws_sdk_organizations::types::OrganizationFeatureSet::All)
        .send()
        .await?;
    add_members(base, profiles, regions).await
}

/// Adds one member per profile to the existing organization and plants each profile in
/// `regions`: a fixture of its own, whoever else shares the organization.
pub async fn add_members(
    base: &SdkConfig,
    profiles: &[Profile],
    regions: &[&str],
) -> anyhow::Result<OrgFixture> {
    let org = aws_sdk_organizations::Client::new(base);
    let mut members = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let name = format!("member-{i:03}");
        let out = org
            .create_account()
            .account_name(&name)
            .email(format!("{name}@example.com"))
            .send()
            .await?;
        let id = out
            .create_account_status()
            .and_then(|s| s.account_id())
            .ok_or_else(|| anyhow::anyhow!("CreateAccount returned no account id"))?
            .to_string();
        members.push(MemberFixture {
            id,
            name,
            profile: p.clone(),
        });
    }
    let regions: Vec<String> = regions.iter().map(|r| r.to_string()).collect();
    let regions_ref = &regions;
    stream::iter(members.iter().cloned())
        .map(|m| async move { plant(base, &m, regions_ref).await })
        .buffer_unordered(8)
        .try_collect::<Vec<()>>()
        .await?;
    Ok(OrgFixture {
        management: crate::emulator::MANAGEMENT_ACCOUNT.into(),
        members,
        regions,
    })
}

/// Plants a member's profile (idempotent enough to re-plant after a change).
pub async fn plant(base: &SdkConfig, m: &MemberFixture, regions: &[String]) -> anyhow::Result<()> {
    let home = regions
        .first()
        .cloned()
        .unwrap_or_else(|| "us-east-1".into());
    let cfg = member_config(base, &m.id, &home).await;
    let iam = aws_sdk_iam::Client::new(&cfg);
    match m.profile.password_policy {
        Some((len, reuse)) => {
            let mut req = iam
                .update_account_password_policy()
                .minimum_password_length(len);
            if reuse > 0 {
                req = req.password_reuse_prevention(reuse);
            }
            req.send().await?;
        }
        None => {
            let _ = iam.delete_account_password_policy().send().await;
        }
    }
    if m.profile.risky_user {
        iam.create_user().user_name("legacy-admin").send().await?;
        iam.create_login_profile()
            .user_name("legacy-admin")
            .password("Correct-Horse-9")
            .send()
            .await?;
        iam.create_access_key()
            .user_name("legacy-admin")
            .send()
            .await?;
        iam.create_access_key()
            .user_name("legacy-admin")
            .send()
            .await?;
        let admin = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let policy = iam
            .create_policy()
            .policy_name("LegacyAdmin")
            .policy_document(admin)
            .send()
            .await?;
        let arn = policy
            .policy()
            .and_then(|p| p.arn())
            .unwrap_or_default()
            .to_string();
        iam.attach_user_policy()
            .user_name("legacy-admin")
            .policy_arn(arn)
            .send()
            .await?;
    }
    if m.profile.trail {
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&cfg)
                .force_path_style(true)
                .build(),
        );
        let bucket = format!("trail-logs-{}", m.id);
        let mut create = s3.create_bucket().bucket(&bucket);
        if home != "us-east-1" {
            create = create.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                        home.as_str(),
                    ))
                    .build(),
            );
        }
        create.send().await?;
        harden_bucket(&s3, &bucket).await?;
        if m.profile.mfa_delete {
            enable_mfa_delete(&s3, &bucket, &m.id).await?;
        }
        if m.profile.trail_bucket_logging {
            let logs = format!("access-logs-{}", m.id);
            let mut create = s3.create_bucket().bucket(&logs);
            if home != "us-east-1" {
                create = create.create_bucket_configuration(
                    aws_sdk_s3::types::CreateBucketConfiguration::builder()
                        .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(
                            home.as_str(),
                        ))
                        .build(),
                );
            }
            create.send().await?;
            harden_bucket(&s3, &logs).await?;
            if m.profile.mfa_delete {
                enable_mfa_delete(&s3, &logs, &m.id).await?;
            }
            s3.put_bucket_acl()
                .bucket(&logs)
                .acl(aws_sdk_s3::types::BucketCannedAcl::from(
                    "log-delivery-write",
                ))
                .send()
                .await?;
            s3.put_bucket_logging()
                .bucket(&bucket)
                .bucket_logging_status(
                    aws_sdk_s3::types::BucketLoggingStatus::builder()
                        .logging_enabled(
                            aws_sdk_s3::types::LoggingEnabled::builder()
                                .target_bucket(&logs)
                                .target_prefix("trail/")
                                .build()?,
                        )
                        .build(),
                )
                .send()
                .await
                .map_err(sdk_err)?;
        }
        let ct = aws_sdk_cloudtrail::Client::new(&cfg);
        ct.create_trail()
            .name("org-audit")
            .s3_bucket_name(&bucket)
            .is_multi_region_trail(true)
            .kms_key_id(format!("arn:aws:kms:{home}:{}:alias/trail-logs", m.id))
            .enable_log_file_validation(true)
            .send()
            .await?;
        // The selector a console-created trail has: all management events (the default a new
        // trail gets), plus S3 object-level events when the profile asks for them.
        let mut selector = aws_sdk_cloudtrail::types::EventSelector::builder()
            .read_write_type(aws_sdk_cloudtrail::types::ReadWriteType::All)
            .include_management_events(true);
        if m.profile.trail_data_events {
            selector = selector.data_resources(
                aws_sdk_cloudtrail::types::DataResource::builder()
                    .r#type("AWS::S3::Object")
                    .values("arn:aws:s3")
                    .build(),
            );
        }
        ct.put_event_selectors()
            .trail_name("org-audit")
            .event_selectors(selector.build())
            .send()
            .await?;
        ct.start_logging().name("org-audit").send().await?;
        if m.profile.monitoring {
            plant_monitoring(&cfg, &ct, &m.id, &home, m.profile.monitoring_gap).await?;
        }
    }
    plant_account_extras(&cfg, m).await?;
    for region in regions {
        let rcfg = cfg.to_builder().region(Region::new(region.clone())).build();
        plant_data_stores(&rcfg, &m.profile).await?;
        if m.profile.access_analyzer {
            aws_sdk_accessanalyzer::Client::new(&rcfg)
                .create_analyzer()
                .analyzer_name("account-analyzer")
                .r#type(aws_sdk_accessanalyzer::types::Type::Account)
                .send()
                .await
                .map_err(sdk_err)?;
        }
        let ec2 = aws_sdk_ec2::Client::new(&rcfg);
        if m.profile.ebs_encryption {
            ec2.enable_ebs_encryption_by_default().send().await?;
        } else {
            ec2.disable_ebs_encryption_by_default().send().await?;
        }
        if m.profile.open_ssh {
            open_group(
                &ec2,
                "ssh-from-anywhere",
                "tcp",
                22,
                22,
                Some("0.0.0.0/0"),
                None,
            )
            .await?;
        }
        if m.profile.open_rdp_ipv6 {
            open_group(
                &ec2,
                "admin-range-v6",
                "tcp",
                3000,
                3500,
                None,
                Some("::/0"),
            )
            .await?;
        }
    }
    Ok(())
}

/// An SDK error with its code and message (the default display says only "service error").
fn sdk_err<E: std::error::Error + Send + Sync + 'static>(e: E) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        aws_smithy_types::error::display::DisplayErrorContext(e)
    )
}

/// An SSL-only bucket policy and all four bucket-level public access switches.
async fn harden_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> anyhow::Result<()> {
    let policy = serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            // {"AWS": "*"} rather than "*": moto 5.2.5's PutBucketLogging crashes on a target
            // bucket whose policy has a string principal.
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [format!("arn:aws:s3:::{bucket}"), format!("arn:aws:s3:::{bucket}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}}
        }]
    });
    s3.put_bucket_policy()
        .bucket(bucket)
        .policy(policy.to_string())
        .send()
        .await
        .map_err(sdk_err)?;
    s3.put_public_access_block()
        .bucket(bucket)
        .public_access_block_configuration(
            aws_sdk_s3::types::PublicAccessBlockConfiguration::builder()
                .block_public_acls(true)
                .ignore_public_acls(true)
                .block_public_policy(true)
                .restrict_public_buckets(true)
                .build(),
        )
        .send()
        .await
        .map_err(sdk_err)?;
    Ok(())
}

/// Versioning with MFA Delete, as the account's root user sets it: with the x-amz-mfa header
/// naming its MFA device and a current code.
async fn enable_mfa_delete(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    account: &str,
) -> anyhow::Result<()> {
    s3.put_bucket_versioning()
        .bucket(bucket)
        .mfa(format!(
            "arn:aws:iam::{account}:mfa/root-account-mfa-device 123456"
        ))
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .mfa_delete(aws_sdk_s3::types::MfaDelete::Enabled)
                .build(),
        )
        .send()
        .await
        .map_err(sdk_err)?;
    Ok(())
}

/// Account-wide settings: security contact, account-level public access block, an open
/// bucket, an (always expired, in the emulator) server certificate.
async fn plant_account_extras(cfg: &SdkConfig, m: &MemberFixture) -> anyhow::Result<()> {
    if m.profile.security_contact {
        aws_sdk_account::Client::new(cfg)
            .put_alternate_contact()
            .alternate_contact_type(aws_sdk_account::types::AlternateContactType::Security)
            .name("Security Operations")
            .title("SecOps")
            .email_address(format!("secops+{}@example.com", m.id))
            .phone_number("+1-555-0100")
            .send()
            .await
            .map_err(sdk_err)?;
    }
    if m.profile.open_bucket {
        let west = cfg.to_builder().region(Region::new("us-west-2")).build();
        let s3 = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&west)
                .force_path_style(true)
                .build(),
        );
        let open = format!("open-data-{}", m.id);
        s3.create_bucket()
            .bucket(&open)
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::UsWest2)
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_err)?;
        if m.profile.mfa_delete {
            enable_mfa_delete(&s3, &open, &m.id).await?;
        }
    } else {
        // Through the same endpoint handling the collector uses (account id not in the host).
        rampart_member::collect::s3control::client(cfg)
            .put_public_access_block()
            .account_id(&m.id)
            .public_access_block_configuration(
                aws_sdk_s3control::types::PublicAccessBlockConfiguration::builder()
                    .block_public_acls(true)
                    .ignore_public_acls(true)
                    .block_public_policy(true)
                    .restrict_public_buckets(true)
                    .build(),
            )
            .send()
            .await
            .map_err(sdk_err)?;
    }
    if m.profile.expired_certificate {
        aws_sdk_iam::Client::new(cfg)
            .upload_server_certificate()
            .server_certificate_name("legacy-tls")
            .certificate_body("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----")
            .private_key("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----")
            .send()
            .await
            .map_err(sdk_err)?;
    }
    Ok(())
}

/// Regional data stores: RDS instances with one flaw each, EFS and KMS pairs (good and bad).
async fn plant_data_stores(cfg: &SdkConfig, p: &Profile) -> anyhow::Result<()> {
    let rds = aws_sdk_rds::Client::new(cfg);
    let instances = [
        ("db-plain", p.rds_unencrypted, false, true, true),
        ("db-public", p.rds_public, true, true, false),
        ("db-pinned", p.rds_no_minor_upgrades, true, false, true),
    ];
    for (name, planted, encrypted, minor, private) in instances {
        if planted {
            rds.create_db_instance()
                .db_instance_identifier(name)
                .db_instance_class("db.t3.micro")
                .engine("postgres")
                .master_username("rampart")
                .master_user_password("Fixture-Password-1")
                .allocated_storage(20)
                .storage_encrypted(encrypted)
                .auto_minor_version_upgrade(minor)
                .publicly_accessible(!private)
                .send()
                .await
                .map_err(sdk_err)?;
        }
    }
    if p.efs_unencrypted {
        let efs = aws_sdk_efs::Client::new(cfg);
        for (token, encrypted) in [("fs-good", true), ("fs-plain", false)] {
            efs.create_file_system()
                .creation_token(token)
                .encrypted(encrypted)
                .send()
                .await
                .map_err(sdk_err)?;
        }
    }
    if p.kms_no_rotation {
        let kms = aws_sdk_kms::Client::new(cfg);
        let rotated = kms.create_key().description("rotated").send().await?;
        let id = rotated
            .key_metadata()
            .map(|k| k.key_id().to_string())
            .ok_or_else(|| anyhow::anyhow!("CreateKey returned no key"))?;
        kms.enable_key_rotation().key_id(id).send().await?;
        kms.create_key().description("never rotated").send().await?;
    }
    Ok(())
}

/// Creates a security group in the default VPC with one ingress rule; returns its id.
pub async fn open_group(
    ec2: &aws_sdk_ec2::Client,
    name: &str,
    proto: &str,
    from: i32,
    to: i32,
    cidr: Option<&str>,
    cidr6: Option<&str>,
) -> anyhow::Result<String> {
    let vpcs = ec2.describe_vpcs().send().await?;
    let vpc = vpcs
        .vpcs()
        .iter()
        .find(|v| v.is_default() == Some(true))
        .and_then(|v| v.vpc_id())
        .map(str::to_string);
    let g = ec2
        .create_security_group()
        .group_name(name)
        .description("rampart fixture")
        .set_vpc_id(vpc)
        .send()
        .await?;
    let id = g.group_id().unwrap_or_default().to_string();
    let mut perm = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol(proto)
        .from_port(from)
        .to_port(to);
    if let Some(c) = cidr {
        perm = perm.ip_ranges(aws_sdk_ec2::types::IpRange::builder().cidr_ip(c).build());
    }
    if let Some(c) = cidr6 {
        perm = perm.ipv6_ranges(
            aws_sdk_ec2::types::Ipv6Range::builder()
                .cidr_ipv6(c)
                .build(),
        );
    }
    ec2.authorize_security_group_ingress()
        .group_id(&id)
        .ip_permissions(perm.build())
        .send()
        .await?;
    Ok(id)
}

/// Every finding in `account_id`'s Security Hub in `region`, read with that account's credentials.
pub async fn findings_in(
    base: &SdkConfig,
    account_id: &str,
    region: &str,
) -> anyhow::Result<Vec<rampart_common::Finding>> {
    let cfg = if account_id == crate::emulator::MANAGEMENT_ACCOUNT {
        base.to_builder()
            .region(Region::new(region.to_string()))
            .build()
    } else {
        member_config(base, account_id, region).await
    };
    let sh = aws_sdk_securityhub::Client::new(&cfg);
    let mut out = Vec::new();
    let mut token = None;
    loop {
        let page = sh
            .get_findings()
            .max_results(100)
            .set_next_token(token.take())
            .send()
            .await?;
        out.extend(
            page.findings()
                .iter()
                .map(rampart_member::publish::from_sdk),
        );
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => break,
        }
    }
    Ok(out)
}

/// Enables Security Hub in every member (and the management account) in `regions`.
pub async fn enable_security_hub(base: &SdkConfig, org: &OrgFixture) -> anyhow::Result<()> {
    let mut accounts: Vec<String> = org.members.iter().map(|m| m.id.clone()).collect();
    accounts.push(org.management.clone());
    for a in &accounts {
        for r in &org.regions {
            let cfg = if *a == org.management {
                base.to_builder().region(Region::new(r.clone())).build()
            } else {
                member_config(base, a, r).await
            };
            rampart_member::securityhub::enable(&aws_sdk_securityhub::Client::new(&cfg))
                .await
                .map_err(anyhow::Error::msg)?;
        }
    }
    Ok(())
}

/// CloudTrail -> CloudWatch Logs -> one metric filter per CIS 4.x pattern -> one alarm per
/// filter metric -> an SNS topic with a confirmed subscription, less the planted `gap`.
async fn plant_monitoring(
    cfg: &SdkConfig,
    ct: &aws_sdk_cloudtrail::Client,
    account: &str,
    region: &str,
    gap: Option<MonitoringGap>,
) -> anyhow::Result<()> {
    let logs = aws_sdk_cloudwatchlogs::Client::new(cfg);
    logs.create_log_group()
        .log_group_name("cloudtrail-events")
        .send()
        .await?;
    let group_arn = format!("arn:aws:logs:{region}:{account}:log-group:cloudtrail-events:*");
    ct.update_trail()
        .name("org-audit")
        .cloud_watch_logs_log_group_arn(&group_arn)
        .cloud_watch_logs_role_arn(format!("arn:aws:iam::{account}:role/CloudTrailToLogs"))
        .send()
        .await?;
    let sns = aws_sdk_sns::Client::new(cfg);
    let topic = sns.create_topic().name("security-alerts").send().await?;
    let topic_arn = topic.topic_arn().unwrap_or_default().to_string();
    if gap != Some(MonitoringGap::NoSubscriber) {
        // A Lambda subscription in the topic's own account is confirmed on creation.
        sns.subscribe()
            .topic_arn(&topic_arn)
            .protocol("lambda")
            .endpoint(format!("arn:aws:lambda:{region}:{account}:function:pager"))
            .send()
            .await?;
    }
    let cw = aws_sdk_cloudwatch::Client::new(cfg);
    for (id, pattern) in rampart_member::metric_filter::CIS_V3_PATTERNS {
        let metric = format!("cis-{}", id.replace('.', "-"));
        logs.put_metric_filter()
            .log_group_name("cloudtrail-events")
            .filter_name(&metric)
            .filter_pattern(*pattern)
            .metric_transformations(
                aws_sdk_cloudwatchlogs::types::MetricTransformation::builder()
                    .metric_name(&metric)
                    .metric_namespace("CISBenchmark")
                    .metric_value("1")
                    .build()?,
            )
            .send()
            .await?;
        if gap == Some(MonitoringGap::NoAlarmFor(id)) {
            continue;
        }
        cw.put_metric_alarm()
            .alarm_name(&metric)
            .namespace("CISBenchmark")
            .metric_name(&metric)
            .statistic(aws_sdk_cloudwatch::types::Statistic::Sum)
            .period(300)
            .evaluation_periods(1)
            .threshold(1.0)
            .comparison_operator(
                aws_sdk_cloudwatch::types::ComparisonOperator::GreaterThanOrEqualToThreshold,
            )
            .alarm_actions(&topic_arn)
            .send()
            .await
            .map_err(sdk_err)?;
    }
    Ok(())
}
