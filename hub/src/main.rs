//! The `rampart` command line: a thin shell over `rampart_hub::cli`.

fn main() -> std::process::ExitCode {
    rampart_hub::cli::main()
}
