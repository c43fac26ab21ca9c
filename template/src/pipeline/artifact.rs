//! The input artifact: S3 download with the job's credentials, zip extraction with limits,
//! and template selection by glob.

use std::io::Read;

use super::error::PipelineError;
use super::event::ArtifactCredentials;

/// Artifact limits (uncompressed), so a zip bomb cannot exhaust the Lambda.
pub const MAX_ARTIFACT_FILES: usize = 20_000;
pub const MAX_ARTIFACT_BYTES: u64 = 512 * 1024 * 1024;
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// Match a `/`-separated path against a glob with `*`, `?` and `**`.
pub fn glob_match(pattern: &str, path: &str) -> bool {
    glob_regex(pattern).is_some_and(|r| r.is_match(path))
}

/// Compile a glob once (see [`glob_match`]); `None` only if the pattern is unusable.
pub fn glob_regex(pattern: &str) -> Option<regex::Regex> {
    let pattern = pattern.trim_start_matches("./");
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' if chars.peek() == Some(&'*') => {
                chars.next();
                if chars.peek() == Some(&'/') {
                    chars.next();
                    re.push_str("(?:.*/)?");
                } else {
                    re.push_str(".*");
                }
            }
            '*' => re.push_str("[^/]*"),
            '?' => re.push_str("[^/]"),
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}

/// Files of an artifact zip: (normalised path, bytes), with size and count limits.
pub fn extract_zip(bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, PipelineError> {
    extract_zip_where(bytes, |_| true, None)
}

/// Files of an artifact zip whose normalised path `keep` accepts (the others are never
/// decompressed), with size and count limits, stopping at `deadline`.
pub fn extract_zip_where(
    bytes: &[u8],
    keep: impl Fn(&str) -> bool,
    deadline: Option<std::time::Instant>,
) -> Result<Vec<(String, Vec<u8>)>, PipelineError> {
    let zerr = |e: &dyn std::fmt::Display| PipelineError::Zip(e.to_string());
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| zerr(&e))?;
    if archive.len() > MAX_ARTIFACT_FILES {
        return Err(PipelineError::Zip(format!(
            "more than {MAX_ARTIFACT_FILES} entries"
        )));
    }
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        if deadline.is_some_and(|d| std::time::Instant::now() >= d) {
            return Err(PipelineError::Zip(
                "the job's time ran out while extracting the artifact".into(),
            ));
        }
        let mut f = archive.by_index(i).map_err(|e| zerr(&e))?;
        if f.is_dir() {
            continue;
        }
        // enclosed_name rejects absolute paths and `..`.
        let Some(name) = f.enclosed_name() else {
            continue;
        };
        let name = name.to_string_lossy().replace('\\', "/");
        if !keep(&name) {
            continue;
        }
        let mut buf = Vec::new();
        // Read at most the limit + 1 so a lying header cannot make us read more.
        (&mut f)
            .take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| zerr(&e))?;
        if buf.len() as u64 > MAX_FILE_BYTES {
            return Err(PipelineError::Zip(format!(
                "{name} is larger than {MAX_FILE_BYTES} bytes"
            )));
        }
        total += buf.len() as u64;
        if total > MAX_ARTIFACT_BYTES {
            return Err(PipelineError::Zip(format!(
                "artifact expands beyond {MAX_ARTIFACT_BYTES} bytes"
            )));
        }
        out.push((name, buf));
    }
    Ok(out)
}

/// Download an object (the artifact zip) with a client the caller built, e.g. with the
/// job's artifact credentials ([`artifact_s3_client`]) or against an emulator.
pub async fn download_artifact(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, PipelineError> {
    let derr = |m: String| PipelineError::Download {
        bucket: bucket.to_string(),
        key: key.to_string(),
        message: m,
    };
    let obj = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| derr(aws_sdk_s3::error::DisplayErrorContext(&e).to_string()))?;
    let body = obj.body.collect().await.map_err(|e| derr(e.to_string()))?;
    Ok(body.into_bytes().to_vec())
}

/// An S3 client that uses the job's artifact credentials (not the Lambda's role).
pub fn artifact_s3_client(
    base: &aws_config::SdkConfig,
    creds: &ArtifactCredentials,
) -> aws_sdk_s3::Client {
    let c = aws_sdk_s3::config::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.clone(),
        creds.session_token.clone(),
        None,
        "codepipeline-artifact-credentials",
    );
    // A custom endpoint (VPC endpoint, local emulator) needs path-style addressing: the
    // bucket-as-subdomain host does not resolve there.
    let conf = aws_sdk_s3::config::Builder::from(base)
        .credentials_provider(c)
        .force_path_style(base.endpoint_url().is_some())
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}
