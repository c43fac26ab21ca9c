//! Options every entry point reads the same way: the global flags (which carry every
//! configuration option, `RAMPART_*` variables and file keys: one definition, `Config`), the
//! effective configuration layered from them, the base AWS configuration they select, the
//! Lambdas' arguments (the same options, from the environment), and logging.

use crate::aws::{self, AwsOptions};
use crate::exit::CliError;
use clap::{Args, Parser, ValueEnum};
use rampart_common::Config;
use std::io::IsTerminal;
use std::path::PathBuf;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Options shared by every command.
#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Hub region (STS, Organizations); defaults to AWS_REGION / the profile's region.
    #[arg(long, global = true, env = "RAMPART_REGION")]
    pub region: Option<String>,
    /// AWS profile of the hub's credentials.
    #[arg(long, global = true, env = "AWS_PROFILE")]
    pub profile: Option<String>,
    /// TOML config file (see docs/configuration.md).
    #[arg(long, global = true, env = "RAMPART_CONFIG")]
    pub config: Option<PathBuf>,
    /// Endpoint override for every AWS service (an emulator, a VPC endpoint).
    #[arg(long, global = true, env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
    #[arg(
        long,
        global = true,
        value_enum,
        default_value = "text",
        env = "RAMPART_LOG_FORMAT"
    )]
    pub log_format: LogFormat,
    /// More logging (-v debug, -vv trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Every configuration option (flag, environment variable, file key: one definition).
    #[command(flatten)]
    pub options: Config,
}

impl GlobalArgs {
    /// Flags and environment layered over the config file, validated.
    pub fn effective_config(&self) -> Result<Config, CliError> {
        let file = match &self.config {
            Some(p) => Config::load(p)?,
            None => Config::default(),
        };
        Ok(self.options.clone().layered(file)?)
    }

    /// The hub's base AWS configuration from the flags, the environment and `cfg`'s retries.
    pub async fn base_config(&self, cfg: &Config) -> aws_config::SdkConfig {
        let opts = AwsOptions {
            profile: self.profile.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            retry_mode: cfg.retry_mode.clone().unwrap_or_else(|| "adaptive".into()),
            max_attempts: cfg.max_attempts(),
        };
        aws::load(&opts).await
    }
}

/// A Lambda's settings: the CLI's global options, which carry every configuration option
/// (`RAMPART_*` variables), read from the environment (a Lambda has no arguments).
#[derive(Debug, Clone, Parser)]
pub struct LambdaArgs {
    #[command(flatten)]
    pub global: GlobalArgs,
}

impl LambdaArgs {
    /// The options from the environment, for the function named `name`.
    pub fn from_env(name: &str) -> Result<LambdaArgs, clap::Error> {
        LambdaArgs::try_parse_from([name])
    }

    /// Flags/environment over the config file, validated.
    pub fn config(&self) -> Result<Config, CliError> {
        self.global.effective_config()
    }
}

/// Logs to standard error, as text or JSON (for Lambda and log pipelines). Text is coloured
/// only on a terminal: a redirected run writes plain lines into its file.
pub fn init_logging(format: LogFormat, verbose: u8) {
    let level = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new(format!(
            "warn,rampart_hub={level},rampart_member={level},rampart={level}"
        ))
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().try_init(),
        LogFormat::Text => builder.try_init(),
    };
}
