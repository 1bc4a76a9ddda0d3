"""The command line shared by the examples: an optional output folder and --help from the module docstring."""

import argparse


def parser(doc, default_out):
    """An ArgumentParser whose description is the example's docstring, with the positional out_dir."""
    made = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    made.add_argument("out_dir", nargs="?", default=default_out,
                      help=f"folder for the pictures (default: {default_out})")
    return made
