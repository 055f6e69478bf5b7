//! `iamscope completions SHELL` and `iamscope man [COMMAND]`: the shell
//! completion script (clap_complete) and the manual pages (clap_mangen), both
//! generated from the clap definition the program parses with, so they never
//! drift from it. They read nothing but that definition.

use std::io::Write;

use clap::CommandFactory;

use super::Cli;

/// The completion script of `shell` for the program called `bin`.
pub fn completions(shell: clap_complete::Shell, bin: &str, out: &mut dyn Write) {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, bin, out);
}

/// A manual page in roff: iamscope(1) (options and the list of commands), or
/// with `command`, that command's page iamscope-COMMAND(1), as git does.
pub fn man(command: Option<&str>, out: &mut dyn Write) -> Result<(), String> {
    let cmd = Cli::command();
    let page = match command {
        None => cmd,
        Some(name) => {
            let Some(sub) = cmd.find_subcommand(name) else {
                let known: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
                return Err(format!(
                    "no command {name:?}: man pages exist for {}",
                    known.join(", ")
                ));
            };
            sub.clone()
                .name(format!("iamscope-{}", sub.get_name()))
                .bin_name(format!("iamscope {}", sub.get_name()))
                .version(env!("CARGO_PKG_VERSION"))
        }
    };
    clap_mangen::Man::new(page)
        .render(out)
        .map_err(|e| format!("cannot write the manual page: {e}"))
}
