"""Reading shell command lines out of documents and CI files, and checking `reconcile` lines with click's parser.

Nothing here runs a command: `simple_commands` splits shell text into simple commands (no redirections,
no operators), `reconcile_commands` keeps those that call `reconcile`, and `parse_reconcile` hands one to
the real CLI's parser, which raises click's UsageError for an unknown option, a missing argument or a bad
value, as the command line would.
"""

from __future__ import annotations

import re
import shlex
import warnings

import click

from reconciler.cli import cli

_OPERATORS = {"&&", "||", ";", "|", "&"}


def logical_lines(script: str) -> list[str]:
    """Lines of a shell script with backslash continuations joined and comment-only lines dropped."""
    joined = re.sub(r"\\\n\s*", " ", script)
    return [line for line in joined.splitlines() if line.strip() and not line.strip().startswith("#")]


def _tokens(line: str) -> list[str]:
    lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>")
    lexer.whitespace_split = True
    lexer.commenters = "#"
    return list(lexer)


def simple_commands(script: str) -> list[list[str]]:
    """Every simple command in the script as argv (redirections and their targets removed)."""
    commands: list[list[str]] = []
    for line in logical_lines(script):
        current: list[str] = []
        tokens = _tokens(line)
        i = 0
        while i < len(tokens):
            token = tokens[i]
            if token in _OPERATORS:
                if current:
                    commands.append(current)
                current = []
            elif token[0] in "<>":
                i += 1  # the redirection's target (a file, or a descriptor after >&)
            elif token.isdigit() and i + 1 < len(tokens) and tokens[i + 1][0] in "<>":
                pass  # the descriptor of a redirection such as 2>
            else:
                current.append(token)
            i += 1
        if current:
            commands.append(current)
    return commands


def is_reconcile(argv: list[str]) -> bool:
    """True for `reconcile ...` and `.venv/bin/reconcile ...`."""
    return bool(argv) and argv[0].rsplit("/", 1)[-1] == "reconcile"


def reconcile_commands(script: str) -> list[list[str]]:
    """The `reconcile` invocations of a script, each as its arguments after the program name."""
    return [argv[1:] for argv in simple_commands(script) if is_reconcile(argv)]


def parse_reconcile(args: list[str]) -> click.Context:
    """Parse `reconcile ARGS` as the CLI would, without running it; raises click.UsageError when it would fail.

    The group parses its own options, the subcommand (and a nested one, for `emulator serve`) parses the
    rest; parameter callbacks run, the command does not.
    """
    ctx = cli.make_context("reconcile", list(args))
    group: click.Command = cli
    rest = _unparsed(ctx)
    while isinstance(group, click.Group):
        if not rest:
            raise click.UsageError("no command given", ctx)
        name, command, rest = group.resolve_command(ctx, rest)
        if command is None or name is None:
            raise click.UsageError(f"no such command {rest[:1]}", ctx)
        ctx = command.make_context(name, list(rest), parent=ctx)
        group = command
        rest = _unparsed(ctx) if isinstance(command, click.Group) else []
    return ctx


def _unparsed(ctx: click.Context) -> list[str]:
    """A group's subcommand and its arguments: click 8 keeps the name in `protected_args` (deprecated from 8.2),
    click 9 in `args`."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return [*getattr(ctx, "protected_args", []), *ctx.args]
