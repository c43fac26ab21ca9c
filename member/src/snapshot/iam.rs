//! IAM snapshot data the remedies also read: the password policy in full and access keys as
//! IAM lists them live (the assessment judges keys from the credential report instead).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The account password policy. The checks judge the two thresholds; the rest is kept so a
/// remedy can raise them without resetting anything else (fields added later default).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PasswordPolicy {
    pub minimum_length: Option<i32>,
    pub reuse_prevention: Option<i32>,
    #[serde(default)]
    pub require_symbols: bool,
    #[serde(default)]
    pub require_numbers: bool,
    #[serde(default)]
    pub require_uppercase_characters: bool,
    #[serde(default)]
    pub require_lowercase_characters: bool,
    #[serde(default)]
    pub allow_users_to_change_password: bool,
    #[serde(default)]
    pub max_password_age: Option<i32>,
    #[serde(default)]
    pub hard_expiry: Option<bool>,
}

/// An IAM user as ListUsers and GetUser name it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    pub name: String,
    pub arn: String,
}

/// One access key of a user, as ListAccessKeys answers now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessKey {
    pub id: String,
    pub user: String,
    /// `Active` or `Inactive`.
    pub status: String,
    pub created: Option<DateTime<Utc>>,
}

impl AccessKey {
    pub fn is_active(&self) -> bool {
        self.status == "Active"
    }
}
