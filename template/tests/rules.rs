//! One positive and one negative template per built-in rule.

use std::sync::OnceLock;

use rampart_template::audit::{audit_text, AuditConfig, Status, TemplateReport};

fn cfg() -> &'static AuditConfig {
    static CFG: OnceLock<AuditConfig> = OnceLock::new();
    CFG.get_or_init(AuditConfig::default)
}

/// A template with one resource `R` of `ty` whose Properties are `props` (YAML, any indent).
fn one(ty: &str, props: &str) -> String {
    let body: String = props
        .trim_matches('\n')
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect();
    format!("Resources:\n  R:\n    Type: {ty}\n    Properties:\n{body}")
}

fn audit(src: &str) -> TemplateReport {
    let r = audit_text("t.yaml", src, cfg());
    assert!(
        r.error.is_none(),
        "template did not parse: {:?}\n{src}",
        r.error
    );
    r
}

fn fires(id: &str, src: &str) -> bool {
    audit(src)
        .findings
        .iter()
        .any(|f| f.rule_id == id && f.status == Status::Fail && f.suppressed.is_none())
}

fn quiet(id: &str, src: &str) -> bool {
    !audit(src).findings.iter().any(|f| f.rule_id == id)
}

macro_rules! rule_tests {
    ($($name:ident => $id:literal, $pos:expr, $neg:expr;)*) => {
        $(
            #[test]
            fn $name() {
                let (pos, neg): (String, String) = ($pos, $neg);
                assert!(fires($id, &pos), "{} should fire on:\n{}", $id, pos);
                assert!(quiet($id, &neg), "{} should not fire on:\n{}", $id, neg);
            }
        )*
        const TESTED: &[&str] = &[$($id),*];
    };
}

const SG: &str = "AWS::EC2::SecurityGroup";
fn ingress(rule: &str) -> String {
    one(SG, &format!("GroupDescription: d\nSecurityGroupEgress: [{{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}}]\nSecurityGroupIngress:\n  - {rule}"))
}
fn policy(stmt: &str) -> String {
    one(
        "AWS::IAM::ManagedPolicy",
        &format!("PolicyDocument:\n  Version: '2012-10-17'\n  Statement:\n    - {stmt}"),
    )
}
fn bucket_policy(stmt: &str) -> String {
    format!("Resources:\n  B:\n    Type: AWS::S3::Bucket\n  R:\n    Type: AWS::S3::BucketPolicy\n    Properties:\n      Bucket: !Ref B\n      PolicyDocument:\n        Statement:\n          - {stmt}\n")
}
fn trail(extra: &str) -> String {
    one(
        "AWS::CloudTrail::Trail",
        &format!("IsLogging: true\nS3BucketName: b\n{extra}"),
    )
}
const GOOD_TRAIL: &str = "EnableLogFileValidation: true\nKMSKeyId: k\nIsMultiRegionTrail: true";
fn s(x: &str) -> String {
    x.to_string()
}

rule_tests! {
    net01 => "NET-01", ingress("{IpProtocol: tcp, FromPort: 20, ToPort: 30, CidrIp: 0.0.0.0/0, Description: ssh}"), ingress("{IpProtocol: tcp, FromPort: 22, ToPort: 22, CidrIp: 10.1.2.3/32}");
    net02 => "NET-02", ingress("{IpProtocol: tcp, FromPort: 3389, ToPort: 3389, CidrIpv6: '::/0'}"), ingress("{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}");
    net03 => "NET-03", ingress("{IpProtocol: tcp, FromPort: 3306, ToPort: 3306, CidrIp: 0.0.0.0/0}"), ingress("{IpProtocol: tcp, FromPort: 3306, ToPort: 3306, SourceSecurityGroupId: sg-1}");
    net04 => "NET-04", ingress("{IpProtocol: tcp, FromPort: 445, ToPort: 445, CidrIp: 0.0.0.0/0}"), ingress("{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}");
    net05 => "NET-05", ingress("{IpProtocol: '-1', CidrIp: 0.0.0.0/0}"), ingress("{IpProtocol: '-1', CidrIp: 10.0.0.0/8}");
    net06 => "NET-06", ingress("{IpProtocol: tcp, FromPort: 8080, ToPort: 8080, CidrIp: 0.0.0.0/0}"), ingress("{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 0.0.0.0/0}");
    net07 => "NET-07", ingress("{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 0.0.0.0/0}"), ingress("{IpProtocol: tcp, FromPort: 80, ToPort: 80, CidrIp: 10.0.0.0/8}");
    net08 => "NET-08", ingress("{IpProtocol: tcp, FromPort: 8000, ToPort: 8100, CidrIp: 10.0.0.1/32}"), ingress("{IpProtocol: tcp, FromPort: 8000, ToPort: 8000, CidrIp: 10.0.0.1/32}");
    net09 => "NET-09", ingress("{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/16}"), ingress("{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.1/32}");
    net10 => "NET-10", one(SG, "GroupDescription: d\nSecurityGroupEgress: [{IpProtocol: '-1', CidrIp: 0.0.0.0/0}]"), one(SG, "GroupDescription: d\nSecurityGroupEgress: [{IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}]");
    net11 => "NET-11", one(SG, "GroupDescription: d"), s("Resources:\n  R:\n    Type: AWS::EC2::SecurityGroup\n    Properties: {GroupDescription: d}\n  E:\n    Type: AWS::EC2::SecurityGroupEgress\n    Properties: {GroupId: !GetAtt R.GroupId, IpProtocol: tcp, FromPort: 443, ToPort: 443, CidrIp: 10.0.0.0/8}\n");
    net12 => "NET-12", one("AWS::EC2::NetworkAclEntry", "Protocol: -1\nRuleAction: allow\nCidrBlock: 0.0.0.0/0\nEgress: false\nRuleNumber: 1\nNetworkAclId: a"), one("AWS::EC2::NetworkAclEntry", "Protocol: -1\nRuleAction: allow\nCidrBlock: 0.0.0.0/0\nEgress: true\nRuleNumber: 1\nNetworkAclId: a");
    net13 => "NET-13", one("AWS::EC2::NetworkAclEntry", "Protocol: 6\nRuleAction: allow\nCidrBlock: 0.0.0.0/0\nPortRange: {From: 22, To: 22}\nRuleNumber: 1\nNetworkAclId: a"), one("AWS::EC2::NetworkAclEntry", "Protocol: 6\nRuleAction: allow\nCidrBlock: 0.0.0.0/0\nPortRange: {From: 443, To: 443}\nRuleNumber: 1\nNetworkAclId: a");
    net14 => "NET-14", one("AWS::EC2::Subnet", "VpcId: v\nMapPublicIpOnLaunch: true"), one("AWS::EC2::Subnet", "VpcId: v\nMapPublicIpOnLaunch: false");
    net15 => "NET-15", one("AWS::RDS::DBInstance", "PubliclyAccessible: true\nStorageEncrypted: true"), one("AWS::RDS::DBInstance", "PubliclyAccessible: false\nStorageEncrypted: true");
    net16 => "NET-16", one("AWS::DMS::ReplicationInstance", "ReplicationInstanceClass: dms.t3.micro"), one("AWS::DMS::ReplicationInstance", "ReplicationInstanceClass: dms.t3.micro\nPubliclyAccessible: false");
    net17 => "NET-17", one("AWS::Redshift::Cluster", "PubliclyAccessible: true\nEncrypted: true"), one("AWS::Redshift::Cluster", "Encrypted: true");
    net18 => "NET-18", one("AWS::EC2::Instance", "NetworkInterfaces: [{AssociatePublicIpAddress: true, DeviceIndex: 0}]"), one("AWS::EC2::Instance", "NetworkInterfaces: [{AssociatePublicIpAddress: false, DeviceIndex: 0}]");
    net19 => "NET-19", one("AWS::ElasticLoadBalancingV2::Listener", "Protocol: HTTP\nPort: 80\nDefaultActions: [{Type: forward, TargetGroupArn: t}]"), one("AWS::ElasticLoadBalancingV2::Listener", "Protocol: HTTP\nPort: 80\nDefaultActions: [{Type: redirect, RedirectConfig: {Protocol: HTTPS}}]");
    net20 => "NET-20", one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true, DefaultCacheBehavior: {ViewerProtocolPolicy: allow-all}}"), one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true, DefaultCacheBehavior: {ViewerProtocolPolicy: redirect-to-https}}");
    net21 => "NET-21", one("AWS::CloudFront::Distribution", "DistributionConfig: {ViewerCertificate: {MinimumProtocolVersion: TLSv1}}"), one("AWS::CloudFront::Distribution", "DistributionConfig: {ViewerCertificate: {MinimumProtocolVersion: TLSv1.2_2021}}");
    net22 => "NET-22", one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true, ViewerCertificate: {CloudFrontDefaultCertificate: true}}"), one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true, ViewerCertificate: {AcmCertificateArn: arn:aws:acm:us-east-1:111111111111:certificate/x, MinimumProtocolVersion: TLSv1.2_2021, SslSupportMethod: sni-only}}");
    net23 => "NET-23", one("AWS::ElasticLoadBalancingV2::Listener", "Protocol: HTTPS\nPort: 443\nSslPolicy: ELBSecurityPolicy-2016-08"), one("AWS::ElasticLoadBalancingV2::Listener", "Protocol: HTTPS\nPort: 443\nSslPolicy: ELBSecurityPolicy-TLS13-1-2-2021-06");
    net24 => "NET-24", one("AWS::ElasticLoadBalancingV2::LoadBalancer", "Type: application\nSubnets: [a, b]"), one("AWS::ElasticLoadBalancingV2::LoadBalancer", "Subnets: [a, b]\nLoadBalancerAttributes: [{Key: routing.http.drop_invalid_header_fields.enabled, Value: 'true'}]");
    iam01 => "IAM-01", policy("{Effect: Allow, Action: '*', Resource: '*'}"), policy("{Effect: Deny, Action: '*', Resource: '*'}");
    iam02 => "IAM-02", policy("{Effect: Allow, Action: 's3:*', Resource: 'arn:aws:s3:::b'}"), policy("{Effect: Allow, Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*'}");
    iam03 => "IAM-03", policy("{Effect: Allow, Action: 's3:GetObject', Resource: '*'}"), policy("{Effect: Allow, Action: 's3:GetObject', Resource: !Sub 'arn:${AWS::Partition}:s3:::b/*'}");
    iam04 => "IAM-04", policy("{Effect: Allow, NotAction: 'iam:*', Resource: 'x'}"), policy("{Effect: Deny, NotAction: 'iam:*', Resource: 'x'}");
    iam05 => "IAM-05", policy("{Effect: Allow, Action: 's3:GetObject', NotResource: 'x'}"), policy("{Effect: Allow, Action: 's3:GetObject', Resource: 'x'}");
    iam06 => "IAM-06", bucket_policy("{Effect: Allow, NotPrincipal: {AWS: 'arn:aws:iam::1:root'}, Action: 's3:GetObject', Resource: x}"), bucket_policy("{Effect: Deny, NotPrincipal: {AWS: 'arn:aws:iam::1:root'}, Action: 's3:GetObject', Resource: x}");
    iam07 => "IAM-07", policy("{Effect: Allow, Action: ['iam:PassRole'], Resource: '*'}"), policy("{Effect: Allow, Action: ['iam:PassRole'], Resource: 'arn:aws:iam::1:role/x'}");
    iam08 => "IAM-08", one("AWS::IAM::User", "Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: x}]}}]"), one("AWS::IAM::Group", "Policies: [{PolicyName: p, PolicyDocument: {Statement: [{Effect: Allow, Action: 's3:GetObject', Resource: x}]}}]");
    iam09 => "IAM-09", one("AWS::IAM::User", "ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]"), one("AWS::IAM::User", "Groups: [g]");
    iam10 => "IAM-10", one("AWS::IAM::Role", "AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]}\nManagedPolicyArns: [!Sub 'arn:${AWS::Partition}:iam::aws:policy/AdministratorAccess']"), one("AWS::IAM::Role", "AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: ec2.amazonaws.com}, Action: 'sts:AssumeRole'}]}\nManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]");
    iam11 => "IAM-11", one("AWS::IAM::Group", "ManagedPolicyArns: [arn:aws:iam::aws:policy/PowerUserAccess]"), one("AWS::IAM::Group", "ManagedPolicyArns: [arn:aws:iam::aws:policy/ReadOnlyAccess]");
    iam12 => "IAM-12", one("AWS::IAM::Role", "AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'sts:AssumeRole'}]}"), one("AWS::IAM::Role", "AssumeRolePolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: 'arn:aws:iam::111111111111:root'}, Action: 'sts:AssumeRole'}]}");
    iam13 => "IAM-13", policy("{Effect: Allow, Action: ['iam:AttachRolePolicy'], Resource: '*'}"), policy("{Effect: Allow, Action: ['iam:GetRole'], Resource: '*'}");
    iam14 => "IAM-14", one("AWS::IAM::AccessKey", "UserName: u"), one("AWS::IAM::User", "Groups: [g]");
    iam15 => "IAM-15", one("AWS::RDS::DBInstance", "Engine: MySQL\nStorageEncrypted: true"), one("AWS::RDS::DBInstance", "Engine: mysql\nStorageEncrypted: true\nEnableIAMDatabaseAuthentication: true");
    data01 => "DATA-01", one("AWS::S3::Bucket", "AccessControl: PublicRead"), one("AWS::S3::Bucket", "AccessControl: Private");
    data02 => "DATA-02", one("AWS::S3::Bucket", "AccessControl: PublicReadWrite"), one("AWS::S3::Bucket", "AccessControl: PublicRead");
    data03 => "DATA-03", bucket_policy("{Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: x}"), bucket_policy("{Effect: Allow, Principal: '*', Action: 's3:GetObject', Resource: x, Condition: {StringEquals: {'aws:SourceVpce': v}}}");
    data04 => "DATA-04", bucket_policy("{Effect: Allow, Principal: {AWS: 'arn:aws:iam::1:root'}, Action: 's3:*', Resource: x}"), bucket_policy("{Effect: Allow, Principal: {AWS: 'arn:aws:iam::1:root'}, Action: 's3:GetObject', Resource: x}");
    data05 => "DATA-05", one("AWS::S3::Bucket", "BucketName: b"), one("AWS::S3::Bucket", "BucketEncryption: {ServerSideEncryptionConfiguration: [{ServerSideEncryptionByDefault: {SSEAlgorithm: aws:kms}}]}");
    data06 => "DATA-06", one("AWS::S3::Bucket", "PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true}"), one("AWS::S3::Bucket", "PublicAccessBlockConfiguration: {BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true}");
    data07 => "DATA-07", bucket_policy("{Effect: Allow, Principal: {AWS: a}, Action: 's3:GetObject', Resource: x}"), bucket_policy("{Effect: Deny, Principal: '*', Action: 's3:*', Resource: x, Condition: {Bool: {'aws:SecureTransport': false}}}");
    data08 => "DATA-08", one("AWS::S3::Bucket", "BucketName: b"), one("AWS::S3::Bucket", "LoggingConfiguration: {DestinationBucketName: logs}");
    data09 => "DATA-09", one("AWS::S3::Bucket", "VersioningConfiguration: {Status: Suspended}"), one("AWS::S3::Bucket", "VersioningConfiguration: {Status: Enabled}");
    data10 => "DATA-10", one("AWS::EC2::Volume", "Size: 10\nAvailabilityZone: a"), one("AWS::EC2::Volume", "Size: 10\nAvailabilityZone: a\nEncrypted: true");
    data11 => "DATA-11", one("AWS::RDS::DBInstance", "Engine: mysql"), one("AWS::RDS::DBInstance", "Engine: aurora-mysql\nDBClusterIdentifier: c");
    data12 => "DATA-12", one("AWS::RDS::DBCluster", "Engine: aurora-mysql\nStorageEncrypted: false"), one("AWS::RDS::DBCluster", "Engine: aurora-mysql\nStorageEncrypted: true");
    data13 => "DATA-13", one("AWS::EFS::FileSystem", "PerformanceMode: generalPurpose"), one("AWS::EFS::FileSystem", "Encrypted: true");
    data14 => "DATA-14", one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nTransitEncryptionEnabled: true"), one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nAtRestEncryptionEnabled: true");
    data15 => "DATA-15", one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nAtRestEncryptionEnabled: true"), one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nTransitEncryptionEnabled: true");
    data16 => "DATA-16", one("AWS::Redshift::Cluster", "NodeType: dc2.large"), one("AWS::Redshift::Cluster", "NodeType: dc2.large\nEncrypted: true");
    data17 => "DATA-17", one("AWS::SNS::Topic", "TopicName: t"), one("AWS::SNS::Topic", "KmsMasterKeyId: alias/aws/sns");
    data18 => "DATA-18", one("AWS::SQS::Queue", "SqsManagedSseEnabled: false"), one("AWS::SQS::Queue", "QueueName: q");
    data19 => "DATA-19", one("AWS::Kinesis::Stream", "ShardCount: 1"), one("AWS::Kinesis::Stream", "ShardCount: 1\nStreamEncryption: {EncryptionType: KMS, KeyId: alias/aws/kinesis}");
    data20 => "DATA-20", one("AWS::Logs::LogGroup", "RetentionInDays: 7"), one("AWS::Logs::LogGroup", "RetentionInDays: 7\nKmsKeyId: k");
    data22 => "DATA-22", one("AWS::KMS::Key", "KeyPolicy: {Statement: []}"), one("AWS::KMS::Key", "KeySpec: RSA_2048\nKeyPolicy: {Statement: []}");
    data23 => "DATA-23", one("AWS::KMS::Key", "EnableKeyRotation: true\nKeyPolicy: {Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'kms:*', Resource: '*'}]}"), one("AWS::KMS::Key", "EnableKeyRotation: true\nKeyPolicy: {Statement: [{Effect: Allow, Principal: {AWS: !Sub 'arn:aws:iam::${AWS::AccountId}:root'}, Action: 'kms:*', Resource: '*'}]}");
    data24 => "DATA-24", one("AWS::SQS::QueuePolicy", "Queues: [q]\nPolicyDocument: {Statement: [{Effect: Allow, Principal: '*', Action: 'sqs:SendMessage', Resource: q}]}"), one("AWS::SQS::QueuePolicy", "Queues: [q]\nPolicyDocument: {Statement: [{Effect: Allow, Principal: {Service: sns.amazonaws.com}, Action: 'sqs:SendMessage', Resource: q}]}");
    data25 => "DATA-25", one("AWS::SNS::TopicPolicy", "Topics: [t]\nPolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'sns:Publish', Resource: t}]}"), one("AWS::SNS::TopicPolicy", "Topics: [t]\nPolicyDocument: {Statement: [{Effect: Allow, Principal: {AWS: '*'}, Action: 'sns:Publish', Resource: t, Condition: {StringEquals: {'aws:SourceOwner': '1'}}}]}");
    data26 => "DATA-26", one("AWS::DynamoDB::Table", "KeySchema: []"), one("AWS::DynamoDB::Table", "PointInTimeRecoverySpecification: {PointInTimeRecoveryEnabled: true}");
    data27 => "DATA-27", one("AWS::RDS::DBInstance", "BackupRetentionPeriod: 0\nStorageEncrypted: true"), one("AWS::RDS::DBInstance", "BackupRetentionPeriod: 7\nStorageEncrypted: true");
    data28 => "DATA-28", one("AWS::Neptune::DBCluster", "DBClusterIdentifier: n"), one("AWS::DocDB::DBCluster", "StorageEncrypted: true");
    data29 => "DATA-29", one("AWS::OpenSearchService::Domain", "EncryptionAtRestOptions: {Enabled: false}\nNodeToNodeEncryptionOptions: {Enabled: true}"), one("AWS::OpenSearchService::Domain", "EncryptionAtRestOptions: {Enabled: true}");
    data30 => "DATA-30", one("AWS::Elasticsearch::Domain", "EncryptionAtRestOptions: {Enabled: true}"), one("AWS::Elasticsearch::Domain", "NodeToNodeEncryptionOptions: {Enabled: true}");
    data31 => "DATA-31", one("AWS::DAX::Cluster", "NodeType: dax.r4.large"), one("AWS::DAX::Cluster", "SSESpecification: {SSEEnabled: true}");
    sec01 => "SEC-01", one("AWS::RDS::DBInstance", "MasterUsername: admin\nMasterUserPassword: hunter2hunter2\nStorageEncrypted: true"), one("AWS::RDS::DBInstance", "MasterUsername: admin\nMasterUserPassword: '{{resolve:secretsmanager:db:SecretString:password}}'\nStorageEncrypted: true");
    sec02 => "SEC-02", s("Parameters:\n  Pw: {Type: String}\nResources:\n  R:\n    Type: AWS::RDS::DBInstance\n    Properties: {MasterUserPassword: !Ref Pw, StorageEncrypted: true}\n"), s("Parameters:\n  Pw: {Type: String, NoEcho: true}\nResources:\n  R:\n    Type: AWS::RDS::DBInstance\n    Properties: {MasterUserPassword: !Ref Pw, StorageEncrypted: true}\n");
    sec03 => "SEC-03", s("Parameters:\n  Pw: {Type: String, NoEcho: true, Default: changeme1}\nResources:\n  R:\n    Type: AWS::DirectoryService::SimpleAD\n    Properties: {Password: !Sub '${Pw}', Name: n, Size: Small}\n"), s("Parameters:\n  Pw: {Type: String, NoEcho: true}\nResources:\n  R:\n    Type: AWS::DirectoryService::SimpleAD\n    Properties: {Password: !Sub '${Pw}', Name: n, Size: Small}\n");
    sec04 => "SEC-04", s("Resources:\n  R:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Authentication:\n        S3Creds: {type: S3, accessKeyId: AKIDEXAMPLE, secretKey: abc}\n    Properties: {ImageId: ami-1}\n"), s("Resources:\n  R:\n    Type: AWS::EC2::Instance\n    Metadata:\n      AWS::CloudFormation::Authentication:\n        S3Creds: {type: S3, roleName: r}\n    Properties: {ImageId: ami-1}\n");
    sec05 => "SEC-05", one("AWS::Lambda::Function", "Runtime: python3.12\nEnvironment: {Variables: {DB_PASSWORD: s3cr3tvalue}}"), one("AWS::Lambda::Function", "Runtime: python3.12\nEnvironment: {Variables: {DB_PASSWORD_ARN: !Ref Secret, TABLE: t}}");
    sec06 => "SEC-06", one("AWS::Lambda::Function", "Runtime: python3.12\nEnvironment: {Variables: {KEY_ID: AKIAIOSFODNN7EXAMPLE}}"), one("AWS::Lambda::Function", "Runtime: python3.12\nEnvironment: {Variables: {KEY_ID: none}}");
    sec07 => "SEC-07", one("AWS::EC2::Instance", "UserData: \"-----BEGIN RSA PRIVATE KEY-----\\nMIIE\""), one("AWS::EC2::Instance", "UserData: \"-----BEGIN CERTIFICATE-----\\nMIIE\"");
    sec08 => "SEC-08", s("Parameters:\n  AdminPassword: {Type: String}\nResources:\n  R: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n"), s("Parameters:\n  AdminPassword: {Type: String, NoEcho: true}\nResources:\n  R: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n");
    sec09 => "SEC-09", one("AWS::ECS::TaskDefinition", "ContainerDefinitions: [{Name: app, Environment: [{Name: API_KEY, Value: abcdef123456}]}]"), one("AWS::ECS::TaskDefinition", "ContainerDefinitions: [{Name: app, Environment: [{Name: STAGE, Value: prod}], Secrets: [{Name: API_KEY, ValueFrom: arn}]}]");
    sec10 => "SEC-10", one("AWS::EC2::Instance", "UserData: !Base64 \"#!/bin/bash\\nmysql -u root --password=Sup3rS3cret\\n\""), one("AWS::EC2::Instance", "UserData: !Base64 \"#!/bin/bash\\nyum update -y\\n\"");
    log01 => "LOG-01", trail("KMSKeyId: k\nIsMultiRegionTrail: true"), trail(GOOD_TRAIL);
    log02 => "LOG-02", trail("EnableLogFileValidation: true\nIsMultiRegionTrail: true"), trail(GOOD_TRAIL);
    log03 => "LOG-03", trail("EnableLogFileValidation: true\nKMSKeyId: k"), trail(GOOD_TRAIL);
    log04 => "LOG-04", one("AWS::CloudTrail::Trail", "IsLogging: false\nS3BucketName: b"), trail(GOOD_TRAIL);
    log05 => "LOG-05", one("AWS::ElasticLoadBalancing::LoadBalancer", "Listeners: []"), one("AWS::ElasticLoadBalancing::LoadBalancer", "AccessLoggingPolicy: {Enabled: true, S3BucketName: b}");
    log06 => "LOG-06", one("AWS::ElasticLoadBalancingV2::LoadBalancer", "Type: application"), one("AWS::ElasticLoadBalancingV2::LoadBalancer", "LoadBalancerAttributes: [{Key: access_logs.s3.enabled, Value: 'true'}]");
    log07 => "LOG-07", one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true}"), one("AWS::CloudFront::Distribution", "DistributionConfig: {Enabled: true, Logging: {Bucket: b}}");
    log08 => "LOG-08", one("AWS::ApiGateway::Stage", "RestApiId: a"), one("AWS::ApiGateway::Stage", "RestApiId: a\nAccessLogSetting: {DestinationArn: d}");
    log09 => "LOG-09", one("AWS::EC2::VPC", "CidrBlock: 10.0.0.0/16"), s("Resources:\n  R:\n    Type: AWS::EC2::VPC\n    Properties: {CidrBlock: 10.0.0.0/16}\n  F:\n    Type: AWS::EC2::FlowLog\n    Properties: {ResourceId: !Ref R, ResourceType: VPC, TrafficType: ALL}\n");
    log10 => "LOG-10", one("AWS::ApiGatewayV2::Stage", "ApiId: a"), one("AWS::ApiGatewayV2::Stage", "ApiId: a\nAccessLogSettings: {DestinationArn: d}");
    log11 => "LOG-11", one("AWS::Logs::LogGroup", "KmsKeyId: k"), one("AWS::Logs::LogGroup", "KmsKeyId: k\nRetentionInDays: 30");
    cmp01 => "CMP-01", one("AWS::EC2::LaunchTemplate", "LaunchTemplateData: {ImageId: ami-1}"), one("AWS::EC2::LaunchTemplate", "LaunchTemplateData: {MetadataOptions: {HttpTokens: required}}");
    cmp02 => "CMP-02", one("AWS::EC2::Instance", "ImageId: ami-1"), one("AWS::EC2::Instance", "LaunchTemplate: {LaunchTemplateId: lt, Version: 1}");
    cmp03 => "CMP-03", one("AWS::AutoScaling::LaunchConfiguration", "ImageId: ami-1"), one("AWS::AutoScaling::LaunchConfiguration", "ImageId: ami-1\nMetadataOptions: {HttpTokens: required}");
    cmp04 => "CMP-04", one("AWS::Lambda::Permission", "Action: lambda:InvokeFunction\nFunctionName: f\nPrincipal: '*'"), one("AWS::Lambda::Permission", "Action: lambda:InvokeFunction\nFunctionName: f\nPrincipal: '111111111111'");
    cmp05 => "CMP-05", one("AWS::Lambda::Url", "AuthType: NONE\nTargetFunctionArn: f"), one("AWS::Lambda::Url", "AuthType: AWS_IAM\nTargetFunctionArn: f");
    cmp06 => "CMP-06", one("AWS::Lambda::Function", "Runtime: python2.7"), one("AWS::Lambda::Function", "Runtime: python3.12");
    cmp07 => "CMP-07", one("AWS::Lambda::Permission", "Action: lambda:InvokeFunction\nFunctionName: f\nPrincipal: s3.amazonaws.com"), one("AWS::Lambda::Permission", "Action: lambda:InvokeFunction\nFunctionName: f\nPrincipal: s3.amazonaws.com\nSourceAccount: !Ref AWS::AccountId");
    cmp08 => "CMP-08", one("AWS::ECS::TaskDefinition", "ContainerDefinitions: [{Name: a, Privileged: true}]"), one("AWS::ECS::TaskDefinition", "ContainerDefinitions: [{Name: a, Privileged: false}]");
    cmp09 => "CMP-09", one("AWS::ECS::TaskDefinition", "NetworkMode: host"), one("AWS::ECS::TaskDefinition", "NetworkMode: awsvpc");
    data32 => "DATA-32", one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nEngine: redis\nTransitEncryptionEnabled: true"), one("AWS::ElastiCache::ReplicationGroup", "ReplicationGroupDescription: d\nEngine: redis\nTransitEncryptionEnabled: true\nAuthToken: '{{resolve:secretsmanager:redis-auth}}'");
    data33 => "DATA-33", one("AWS::EKS::Cluster", "RoleArn: r\nResourcesVpcConfig: {SubnetIds: [s]}"), one("AWS::EKS::Cluster", "RoleArn: r\nResourcesVpcConfig: {SubnetIds: [s]}\nEncryptionConfig: [{Resources: [secrets], Provider: {KeyArn: !GetAtt Key.Arn}}]");
    cmp10 => "CMP-10", one("AWS::EKS::Cluster", "ResourcesVpcConfig: {SubnetIds: [s]}"), one("AWS::EKS::Cluster", "ResourcesVpcConfig: {SubnetIds: [s], EndpointPublicAccess: false, EndpointPrivateAccess: true}");
    cmp11 => "CMP-11", one("AWS::ApiGateway::Method", "HttpMethod: GET\nAuthorizationType: NONE\nRestApiId: a\nResourceId: r"), one("AWS::ApiGateway::Method", "HttpMethod: OPTIONS\nAuthorizationType: NONE\nRestApiId: a\nResourceId: r");
    cmp12 => "CMP-12", one("AWS::ECR::Repository", "RepositoryName: r"), one("AWS::ECR::Repository", "ImageScanningConfiguration: {ScanOnPush: true}");
    cmp13 => "CMP-13", one("AWS::CodeBuild::Project", "Environment: {PrivilegedMode: true, Type: LINUX_CONTAINER}"), one("AWS::CodeBuild::Project", "Environment: {PrivilegedMode: false, Type: LINUX_CONTAINER}");
}

#[test]
fn every_builtin_rule_has_positive_and_negative_tests() {
    let ids: Vec<&str> = cfg().rules.iter().map(|r| r.meta.id.as_str()).collect();
    assert!(ids.len() >= 60, "only {} built-in rules", ids.len());
    let missing: Vec<&&str> = ids.iter().filter(|id| !TESTED.contains(id)).collect();
    assert!(missing.is_empty(), "rules without tests: {missing:?}");
}

#[test]
fn every_builtin_rule_has_complete_metadata() {
    for r in &cfg().rules {
        let m = &r.meta;
        assert!(!m.title.is_empty() && m.title != m.id, "{} title", m.id);
        assert!(!m.remediation.is_empty(), "{} remediation", m.id);
        assert!(!m.references.is_empty(), "{} references", m.id);
        assert!(m.risk <= 10, "{} risk", m.id);
        assert!(
            ["Network", "IAM", "Data", "Secrets", "Logging", "Compute"]
                .contains(&m.category.as_str()),
            "{} category {}",
            m.id,
            m.category
        );
    }
}

#[test]
fn deprecated_lambda_runtimes_include_those_past_their_date() {
    for rt in [
        "python3.9",
        "python3.8",
        "python3.10",
        "nodejs18.x",
        "nodejs20.x",
        "ruby3.2",
        "provided.al2",
        "dotnet8",
        "nodejs4.3-edge",
        "dotnet5.0",
        "dotnet7",
        "provided",
        "go1.x",
    ] {
        let src = one("AWS::Lambda::Function", &format!("Runtime: {rt}"));
        assert!(fires("CMP-06", &src), "{rt}");
        let sam = one("AWS::Serverless::Function", &format!("Runtime: {rt}"));
        assert!(fires("CMP-06", &sam), "{rt} (SAM)");
    }
    for rt in [
        "python3.11",
        "python3.12",
        "python3.14",
        "nodejs22.x",
        "nodejs24.x",
        "provided.al2023",
        "java8.al2",
        "java21",
        "ruby3.3",
        "dotnet10",
    ] {
        let src = one("AWS::Lambda::Function", &format!("Runtime: {rt}"));
        assert!(quiet("CMP-06", &src), "{rt}");
    }
}

#[test]
fn cloudfront_default_certificate_applies_whether_implicit_or_explicit() {
    let implicit = one(
        "AWS::CloudFront::Distribution",
        "DistributionConfig: {Enabled: true}",
    );
    assert!(fires("NET-22", &implicit));
    let iam = one(
        "AWS::CloudFront::Distribution",
        "DistributionConfig: {Enabled: true, ViewerCertificate: {IamCertificateId: ASCA1, SslSupportMethod: sni-only}}",
    );
    assert!(quiet("NET-22", &iam));
}

#[test]
fn listener_tls_policies_below_1_2_are_named() {
    for p in [
        "ELBSecurityPolicy-2015-05",
        "ELBSecurityPolicy-FS-2018-06",
        "ELBSecurityPolicy-FS-1-1-2019-08",
        "ELBSecurityPolicy-TLS-1-0-2015-04",
        "ELBSecurityPolicy-TLS-1-1-2017-01",
        "ELBSecurityPolicy-TLS13-1-0-2021-06",
        "ELBSecurityPolicy-TLS13-1-1-2021-06",
    ] {
        let src = one(
            "AWS::ElasticLoadBalancingV2::Listener",
            &format!("Protocol: HTTPS\nSslPolicy: {p}"),
        );
        assert!(fires("NET-23", &src), "{p}");
    }
    for p in [
        "ELBSecurityPolicy-TLS-1-2-2017-01",
        "ELBSecurityPolicy-TLS-1-2-Ext-2018-06",
        "ELBSecurityPolicy-FS-1-2-Res-2020-10",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ] {
        let src = one(
            "AWS::ElasticLoadBalancingV2::Listener",
            &format!("Protocol: HTTPS\nSslPolicy: {p}"),
        );
        assert!(quiet("NET-23", &src), "{p}");
    }
}

#[test]
fn drop_invalid_headers_applies_to_application_load_balancers_only() {
    let implicit = one(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Subnets: [a, b]",
    );
    assert!(fires("NET-24", &implicit));
    let disabled = one(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "LoadBalancerAttributes: [{Key: routing.http.drop_invalid_header_fields.enabled, Value: 'false'}]",
    );
    assert!(fires("NET-24", &disabled));
    let network = one(
        "AWS::ElasticLoadBalancingV2::LoadBalancer",
        "Type: network\nSubnets: [a]",
    );
    assert!(quiet("NET-24", &network));
}

#[test]
fn rds_iam_authentication_depends_on_engine_and_cluster_membership() {
    // A cluster fires; its member instances are judged on the cluster.
    let cluster = one(
        "AWS::RDS::DBCluster",
        "Engine: aurora-postgresql\nStorageEncrypted: true",
    );
    assert!(fires("IAM-15", &cluster));
    let member = one(
        "AWS::RDS::DBInstance",
        "Engine: aurora-postgresql\nDBClusterIdentifier: c\nDBInstanceClass: db.r6g.large",
    );
    assert!(quiet("IAM-15", &member));
    for engine in ["oracle-ee", "sqlserver-se", "db2-se"] {
        let src = one("AWS::RDS::DBInstance", &format!("Engine: {engine}"));
        assert!(quiet("IAM-15", &src), "{engine}");
    }
    for engine in ["postgres", "MariaDB", "MySQL"] {
        let src = one("AWS::RDS::DBInstance", &format!("Engine: {engine}"));
        assert!(fires("IAM-15", &src), "{engine}");
    }
    // A read replica without Engine inherits it from its source: not judged.
    let replica = one(
        "AWS::RDS::DBInstance",
        "SourceDBInstanceIdentifier: main\nDBInstanceClass: db.t3.micro",
    );
    assert!(quiet("IAM-15", &replica));
    let serverless_v1 = one(
        "AWS::RDS::DBCluster",
        "Engine: aurora-mysql\nEngineMode: serverless",
    );
    assert!(quiet("IAM-15", &serverless_v1));
    let off = one(
        "AWS::RDS::DBCluster",
        "Engine: aurora-mysql\nEnableIAMDatabaseAuthentication: false",
    );
    assert!(fires("IAM-15", &off));
    // An engine from a parameter without Default or AllowedValues: reported as unresolved.
    let unknown = "Parameters:\n  Engine: {Type: String}\nResources:\n  R:\n    Type: AWS::RDS::DBInstance\n    Properties:\n      Engine: !Ref Engine\n";
    let r = audit(unknown);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule_id == "IAM-15" && f.status == Status::Unresolved),
        "{:?}",
        r.findings
    );
}

#[test]
fn elasticache_authentication_accepts_auth_token_or_rbac() {
    let rbac = one(
        "AWS::ElastiCache::ReplicationGroup",
        "ReplicationGroupDescription: d\nEngine: valkey\nTransitEncryptionEnabled: true\nUserGroupIds: [!Ref Users]",
    );
    assert!(quiet("DATA-32", &rbac));
    // A token only in one branch of an undecided condition still fires (the other has none).
    let maybe = "Parameters:\n  Env: {Type: String}\nConditions:\n  Prod: !Equals [!Ref Env, prod]\nResources:\n  R:\n    Type: AWS::ElastiCache::ReplicationGroup\n    Properties:\n      ReplicationGroupDescription: d\n      TransitEncryptionEnabled: true\n      AuthToken: !If [Prod, '{{resolve:secretsmanager:t}}', !Ref AWS::NoValue]\n";
    assert!(fires("DATA-32", maybe));
}

#[test]
fn eks_secrets_encryption_needs_secrets_and_a_key() {
    let no_key = one(
        "AWS::EKS::Cluster",
        "RoleArn: r\nResourcesVpcConfig: {SubnetIds: [s]}\nEncryptionConfig: [{Resources: [secrets]}]",
    );
    assert!(fires("DATA-33", &no_key));
    let other = one(
        "AWS::EKS::Cluster",
        "RoleArn: r\nResourcesVpcConfig: {SubnetIds: [s]}\nEncryptionConfig: [{Resources: [configmaps], Provider: {KeyArn: k}}]",
    );
    assert!(fires("DATA-33", &other));
    let maybe = "Parameters:\n  Key: {Type: String, Default: ''}\n  Env: {Type: String}\nConditions:\n  HasKey: !Equals [!Ref Env, prod]\nResources:\n  R:\n    Type: AWS::EKS::Cluster\n    Properties:\n      RoleArn: r\n      ResourcesVpcConfig: {SubnetIds: [s]}\n      EncryptionConfig: !If [HasKey, [{Resources: [secrets], Provider: {KeyArn: !Ref Key}}], !Ref AWS::NoValue]\n";
    assert!(fires("DATA-33", maybe));
}
