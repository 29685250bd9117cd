"""``flow completion``: print the shell script that completes ``flow`` commands."""

from __future__ import annotations

import click
from click.shell_completion import get_completion_class

# The shell script sets this variable when it requests candidates from flow.
COMPLETE_VARIABLE = "_FLOW_COMPLETE"
SHELLS = ("bash", "zsh", "fish")


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
def completion(shell: str) -> None:
    """Print the completion script of SHELL (bash, zsh or fish).

    The script completes commands, options and option values such as
    --format and --direction by running flow itself, so it stays in step
    with the installed version. Bash needs version 4.4 or later.

    \b
    Load it in every new shell:
      bash: add  eval "$(flow completion bash)"  to ~/.bashrc
      zsh:  add  eval "$(flow completion zsh)"   to ~/.zshrc,
            after compinit
      fish: flow completion fish > ~/.config/fish/completions/flow.fish

    \b
    Example: flow completion bash > ~/.local/share/bash-completion/completions/flow
    """
    completion_class = get_completion_class(shell)
    if completion_class is None:
        # The Choice above lists only shells that click supports.
        raise click.UsageError(f"click has no completion for {shell}")
    root = click.get_current_context().find_root().command
    # The console script is named flow, so click's main() derives
    # _FLOW_COMPLETE from its name and the script must set that variable.
    script = completion_class(root, {}, "flow", COMPLETE_VARIABLE).source()
    click.echo(script)
