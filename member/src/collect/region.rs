//! The same credentials in another region.

use aws_config::SdkConfig;
use aws_types::region::Region;

/// An SDK config for the same credentials in another region.
pub fn in_region(sdk: &SdkConfig, region: &str) -> SdkConfig {
    sdk.to_builder()
        .region(Region::new(region.to_string()))
        .build()
}
