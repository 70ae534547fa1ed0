#!/usr/bin/env python3
"""Run rpcgen for one output file of an .x definition.

rpcgen refuses to overwrite an existing output file and writes includes
with the path it was given; this runs it to stdout instead, and makes the
XDR routines include the header by its plain name.
usage: rpcgen_c.py RPCGEN -h|-c INPUT.x OUTPUT HEADER_NAME
"""
import subprocess
import sys

rpcgen, mode, src, out, header = sys.argv[1:6]
text = subprocess.run([rpcgen, mode, src], check=True, capture_output=True,
                      text=True).stdout
lines = []
for line in text.splitlines():
    if mode == "-c" and line.startswith("#include") and line.rstrip().endswith('.h"') \
            and "rpc/" not in line:
        line = f'#include "{header}"'
    lines.append(line)
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
