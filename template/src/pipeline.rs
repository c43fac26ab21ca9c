//! CodePipeline handler (placeholder until implemented).
