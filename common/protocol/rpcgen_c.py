#!/usr/bin/env python3
"""Run rpcgen -c and make its output include the header by its plain name.

rpcgen writes '#include "<path given>.h"'; the build passes absolute paths,
so the include is rewritten to the header's file name.
usage: rpcgen_c.py RPCGEN INPUT.x OUTPUT.c HEADER_NAME
"""
import subprocess
import sys

rpcgen, src, out, header = sys.argv[1:5]
text = subprocess.run([rpcgen, "-c", src], check=True, capture_output=True,
                      text=True).stdout
lines = []
for line in text.splitlines():
    if line.startswith("#include") and line.rstrip().endswith('.h"') \
            and "rpc/" not in line:
        line = f'#include "{header}"'
    lines.append(line)
with open(out, "w") as f:
    f.write("\n".join(lines) + "\n")
