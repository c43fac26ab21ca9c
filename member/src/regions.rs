//! Region selection: a configured list (validated against the regions EC2 knows) or every
//! region enabled in the account whose credentials ask (the hub's, for a fleet run).

use crate::aws_error::AwsError;

use rampart_common::config::RegionSelection;

pub const PERMISSIONS: rampart_common::Permissions = rampart_common::Permissions {
    component: "regions",
    actions: &["ec2:DescribeRegions"],
};

#[derive(Debug, thiserror::Error)]
pub enum RegionError {
    #[error("unknown region(s): {unknown}; known regions: {known}")]
    Unknown { unknown: String, known: String },
    #[error("region list is empty")]
    Empty,
    #[error("cannot list regions: {0}")]
    Api(String),
}

/// The regions to work in, asked of the account `config`'s credentials belong to.
pub async fn resolve(
    config: &aws_config::SdkConfig,
    sel: &RegionSelection,
) -> Result<Vec<String>, RegionError> {
    let ec2 = &aws_sdk_ec2::Client::new(config);
    match sel {
        RegionSelection::AllEnabled => {
            let mut r = list(ec2, false).await?;
            r.sort();
            if r.is_empty() {
                return Err(RegionError::Empty);
            }
            Ok(r)
        }
        RegionSelection::List(wanted) => {
            if wanted.is_empty() {
                return Err(RegionError::Empty);
            }
            let known = list(ec2, true).await?;
            let unknown: Vec<&str> = wanted
                .iter()
                .filter(|w| !known.contains(w))
                .map(String::as_str)
                .collect();
            if !unknown.is_empty() {
                let mut k = known.clone();
                k.sort();
                return Err(RegionError::Unknown {
                    unknown: unknown.join(", "),
                    known: k.join(", "),
                });
            }
            let mut out = Vec::new();
            for w in wanted {
                if !out.contains(w) {
                    out.push(w.clone());
                }
            }
            Ok(out)
        }
    }
}

async fn list(ec2: &aws_sdk_ec2::Client, all: bool) -> Result<Vec<String>, RegionError> {
    let out = ec2
        .describe_regions()
        .all_regions(all)
        .send()
        .await
        .map_err(|e| RegionError::Api(AwsError::sdk("ec2:DescribeRegions", &e).to_string()))?;
    Ok(out
        .regions()
        .iter()
        .filter_map(|r| r.region_name().map(str::to_string))
        .collect())
}
