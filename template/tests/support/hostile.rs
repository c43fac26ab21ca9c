//! Hostile templates, generated on the fly (never committed as files): the inputs the
//! budgets exist for, and a large but honest template that must still be audited.

/// A 64 KiB scalar aliased 16 -> 256 -> 4096 -> 65536 times: about 66 KB of YAML that
/// expands to 4 GiB of text and about 75,000 nodes.
pub fn alias_bomb() -> String {
    let mut s = String::from("AWSTemplateFormatVersion: '2010-09-09'\nMetadata:\n  a0: &a0 ");
    s.push_str(&"x".repeat(64 * 1024));
    s.push('\n');
    for i in 1..=4 {
        let items = vec![format!("*a{}", i - 1); 16].join(", ");
        s.push_str(&format!("  a{i}: &a{i} [{items}]\n"));
    }
    s.push_str("Resources:\n  T: {Type: AWS::SNS::Topic, Properties: {KmsMasterKeyId: k}}\n");
    s
}

/// 33 levels of `Fn::FindInMap`, each mapping value holding four `!FindInMap` to the next
/// level: about 4 KB that resolves to 4^33 leaves.
pub fn find_in_map_bomb() -> String {
    let mut s = String::from("AWSTemplateFormatVersion: '2010-09-09'\nMappings:\n  M:\n");
    for i in 0..33 {
        let next = format!("!FindInMap [M, L{}, V]", i + 1);
        s.push_str(&format!(
            "    L{i}: {{V: [{next}, {next}, {next}, {next}]}}\n"
        ));
    }
    s.push_str("    L33: {V: leaf}\n");
    s.push_str(
        "Resources:\n  B:\n    Type: AWS::S3::Bucket\n    Properties:\n      Tags: !FindInMap [M, L0, V]\n",
    );
    s
}

/// `Fn::ForEach` over 10,000 items with 100 resources in the loop body: about 91 KB that
/// expands to a million resources.
pub fn for_each_bomb() -> String {
    let mut s = String::from(
        "AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Topics:\n    - Item\n    - [",
    );
    let items: Vec<String> = (0..10_000).map(|i| format!("i{i}")).collect();
    s.push_str(&items.join(", "));
    s.push_str("]\n    -\n");
    for r in 0..100 {
        s.push_str(&format!(
            "      T{r}${{Item}}: {{Type: AWS::SNS::Topic, Properties: {{TopicName: !Sub 't{r}${{Item}}'}}}}\n"
        ));
    }
    s
}

/// A template of honest resources, minified onto one line, of at least `bytes` bytes; and
/// the same template pretty-printed (for comparing the audits). Every tenth resource is a
/// security group with SSH open to the world (NET-01); the count of those is returned too.
pub fn big_json(bytes: usize) -> (String, String, usize) {
    use serde_json::{json, Map, Value};
    let mut resources = Map::new();
    let mut size = 0;
    let mut open_ssh = 0;
    let mut i = 0usize;
    while size < bytes {
        let (id, body) = match i % 5 {
            0 if i.is_multiple_of(10) => {
                open_ssh += 1;
                (
                    format!("OpenSg{i}"),
                    json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
                        "GroupDescription": format!("bastion group number {i}, reachable from anywhere"),
                        "VpcId": {"Ref": "Vpc"},
                        "SecurityGroupIngress": [
                            {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}],
                        "SecurityGroupEgress": [
                            {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}],
                        "Tags": [{"Key": "Name", "Value": {"Fn::Sub": "${AWS::StackName}-bastion-" }}]}}),
                )
            }
            0 => (
                format!("Sg{i}"),
                json!({"Type": "AWS::EC2::SecurityGroup", "Properties": {
                    "GroupDescription": format!("application group number {i}"),
                    "VpcId": {"Ref": "Vpc"},
                    "SecurityGroupIngress": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": {"Fn::FindInMap": ["Net", {"Ref": "AWS::Region"}, "Cidr"]}}],
                    "SecurityGroupEgress": [
                        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}]}}),
            ),
            1 => (
                format!("Bucket{i}"),
                json!({"Type": "AWS::S3::Bucket", "Properties": {
                    "BucketName": {"Fn::Sub": format!("${{AWS::StackName}}-data-{i}")},
                    "BucketEncryption": {"ServerSideEncryptionConfiguration": [
                        {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": {"Ref": "Key"}}}]},
                    "PublicAccessBlockConfiguration": {"BlockPublicAcls": true, "BlockPublicPolicy": true,
                        "IgnorePublicAcls": true, "RestrictPublicBuckets": true},
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "LoggingConfiguration": {"DestinationBucketName": {"Ref": "Logs"}, "LogFilePrefix": format!("b{i}/")}}}),
            ),
            2 => (
                format!("Role{i}"),
                json!({"Type": "AWS::IAM::Role", "Properties": {
                    "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                    "Policies": [{"PolicyName": "read", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                        {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Sub": format!("arn:${{AWS::Partition}}:s3:::${{AWS::StackName}}-data-{i}/*")}}]}}]}}),
            ),
            3 => (
                format!("Queue{i}"),
                json!({"Type": "AWS::SQS::Queue", "Properties": {
                    "QueueName": {"Fn::Join": ["-", [{"Ref": "AWS::StackName"}, "queue", format!("{i}")]]},
                    "KmsMasterKeyId": {"Ref": "Key"}, "MessageRetentionPeriod": 345600}}),
            ),
            _ => (
                format!("Volume{i}"),
                json!({"Type": "AWS::EC2::Volume", "Properties": {
                    "Size": 100, "Encrypted": {"Fn::If": ["Prod", true, true]}, "KmsKeyId": {"Ref": "Key"},
                    "AvailabilityZone": {"Fn::Select": [0, {"Fn::GetAZs": ""}]}}}),
            ),
        };
        size += id.len() + body.to_string().len() + 4;
        resources.insert(id, body);
        i += 1;
    }
    let doc: Value = json!({
        "AWSTemplateFormatVersion": "2010-09-09",
        "Parameters": {"Vpc": {"Type": "AWS::EC2::VPC::Id"}, "Env": {"Type": "String", "Default": "prod", "AllowedValues": ["prod", "test"]}},
        "Conditions": {"Prod": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}},
        "Mappings": {"Net": {"us-east-1": {"Cidr": "10.0.0.0/16"}, "eu-west-1": {"Cidr": "10.1.0.0/16"}}},
        "Resources": Value::Object(resources),
    });
    let minified = doc.to_string();
    let pretty = serde_json::to_string_pretty(&doc).unwrap_or_default();
    (minified, pretty, open_ssh)
}
