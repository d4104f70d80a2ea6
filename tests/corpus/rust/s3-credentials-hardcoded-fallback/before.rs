//! Credentials and bucket settings for uploading build artifacts to S3.

use std::env;
use std::fmt;

pub const DEFAULT_REGION: &str = "eu-west-1";

#[derive(Debug)]
pub enum CredentialsError {
    Missing(&'static str),
}

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialsError::Missing(var) => write!(f, "environment variable {var} is not set"),
        }
    }
}

#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub region: String,
}

impl Credentials {
    /// Reads the standard AWS variables; the region defaults to `DEFAULT_REGION`.
    pub fn from_env() -> Result<Self, CredentialsError> {
        let access_key_id = env::var("AWS_ACCESS_KEY_ID")
            .map_err(|_| CredentialsError::Missing("AWS_ACCESS_KEY_ID"))?;
        let secret_access_key = env::var("AWS_SECRET_ACCESS_KEY")
            .map_err(|_| CredentialsError::Missing("AWS_SECRET_ACCESS_KEY"))?;
        let region = env::var("AWS_REGION").unwrap_or_else(|_| DEFAULT_REGION.to_string());
        Ok(Credentials { access_key_id, secret_access_key, region })
    }

    /// Key id with everything but the last four characters masked, for logs.
    pub fn redacted_key_id(&self) -> String {
        let visible = self.access_key_id.len().saturating_sub(4);
        format!("{}{}", "*".repeat(visible), &self.access_key_id[visible..])
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.redacted_key_id())
            .field("region", &self.region)
            .finish_non_exhaustive()
    }
}
