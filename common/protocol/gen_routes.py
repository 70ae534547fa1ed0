#!/usr/bin/env python3
"""Emit the routing table of a program, and the handler arrays of its
owners, from its XDR definition file.

Reads the .x file with a small tokenizer (no regular expressions), finds the
procedure enum and the annotation comment (/*@ ... */) in front of each
entry.

  gen_routes.py routes FILE.x PREFIX ENUM OUT.h OUT.c
      the metadata table (names, flags, owner, stream, access class, XDR
      routines and sizes); no code, no dependency above common/protocol.
  gen_routes.py handlers FILE.x PREFIX ENUM OUT.h OWNER=OUT.c ...
      typed prototypes of every handler (OUT.h), and for each OWNER one
      array of thunks, indexed by procedure, to be compiled into the
      library that serves that owner.
"""
import sys

FLAGS = {"ro": "MV_ROUTE_RO", "prio": "MV_ROUTE_PRIO", "preopen": "MV_ROUTE_PREOPEN",
         "once": "MV_ROUTE_ONCE", "noauth": "MV_ROUTE_NOAUTH", "event": "MV_ROUTE_EVENT"}
OWNERS = ["local", "hypervisor", "network", "storage", "secret", "nodedev",
          "interface", "nwfilter"]
STREAMS = {"read": "MV_STREAM_READ", "write": "MV_STREAM_WRITE", "both": "MV_STREAM_BOTH"}
# Objects of access classes; the permission after ':' is free text checked
# only for being a word.
ACCESS_OBJECTS = {"connect", "domain", "network", "network_port", "storage_pool",
                  "storage_vol", "secret", "node_device", "interface", "nwfilter"}


class Token:
    def __init__(self, kind, text, line):
        self.kind, self.text, self.line = kind, text, line


def tokenize(src, path):
    toks, i, line, n = [], 0, 1, len(src)
    while i < n:
        c = src[i]
        if c == "\n":
            line += 1
            i += 1
        elif c.isspace():
            i += 1
        elif c == "%" and (i == 0 or src[i - 1] == "\n"):
            while i < n and src[i] != "\n":   # rpcgen pass-through line
                i += 1
        elif src.startswith("/*", i):
            end = src.find("*/", i + 2)
            if end < 0:
                sys.exit(f"{path}:{line}: unterminated comment")
            body = src[i + 2:end]
            if body.startswith("@"):
                toks.append(Token("annot", body[1:], line))
            line += body.count("\n")
            i = end + 2
        elif c.isalpha() or c == "_":
            j = i
            while j < n and (src[j].isalnum() or src[j] == "_"):
                j += 1
            toks.append(Token("ident", src[i:j], line))
            i = j
        elif c.isdigit() or (c == "-" and i + 1 < n and src[i + 1].isdigit()):
            j = i + 1
            while j < n and (src[j].isalnum()):
                j += 1
            toks.append(Token("number", src[i:j], line))
            i = j
        else:
            toks.append(Token("punct", c, line))
            i += 1
    return toks


def parse(toks, enum_name, path):
    structs, procs = set(), []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "ident" and t.text == "struct" and i + 2 < len(toks) \
                and toks[i + 2].text == "{":
            structs.add(toks[i + 1].text)
        if t.kind == "ident" and t.text == "enum" and i + 1 < len(toks) \
                and toks[i + 1].text == enum_name:
            i += 3                               # enum NAME {
            annot = None
            while toks[i].text != "}":
                tok = toks[i]
                if tok.kind == "annot":
                    annot = tok
                    i += 1
                    continue
                if tok.kind != "ident" or toks[i + 1].text != "=" \
                        or toks[i + 2].kind != "number":
                    sys.exit(f"{path}:{tok.line}: expected NAME = NUMBER")
                if annot is None:
                    sys.exit(f"{path}:{tok.line}: {tok.text} has no /*@ ... */ annotation")
                procs.append((tok.text, int(toks[i + 2].text, 0), annot))
                annot = None
                i += 3
                if toks[i].text == ",":
                    i += 1
        i += 1
    if not procs:
        sys.exit(f"{path}: no enum {enum_name}")
    return structs, procs


class Proc:
    pass


def parse_annotation(annot, path):
    p = Proc()
    p.flags, p.owner, p.api, p.stream, p.access = [], None, None, None, None
    for word in annot.text.split():
        key, _, value = word.partition("=")
        if key in FLAGS and not value:
            p.flags.append(FLAGS[key])
        elif key == "owner" and value in OWNERS:
            p.owner = value
        elif key == "api" and value:
            p.api = value
        elif key == "stream" and value in STREAMS:
            p.stream = STREAMS[value]
        elif key == "access" and value.partition(":")[0] in ACCESS_OBJECTS \
                and value.partition(":")[2].replace("_", "").isalpha():
            p.access = value
        else:
            sys.exit(f"{path}:{annot.line}: bad annotation '{word}'")
    if p.owner is None:
        sys.exit(f"{path}:{annot.line}: annotation needs owner=")
    # What a client can reach before it opened (or authenticated) must be
    # cheap, and before authentication also harmless.
    if "MV_ROUTE_PREOPEN" in p.flags and "MV_ROUTE_PRIO" not in p.flags:
        sys.exit(f"{path}:{annot.line}: a preopen procedure must also be prio")
    if "MV_ROUTE_NOAUTH" in p.flags and \
            not {"MV_ROUTE_RO", "MV_ROUTE_PREOPEN"} <= set(p.flags):
        sys.exit(f"{path}:{annot.line}: a noauth procedure must also be ro and preopen")
    return p


def api_name(words):
    return "vir" + "".join(w.capitalize() for w in words)


def load(path, prefix, enum_name):
    with open(path) as f:
        structs, raw = parse(tokenize(f.read(), path), enum_name, path)
    procs, seen = [], set()
    for name, num, annot in raw:
        if num in seen:
            sys.exit(f"{path}:{annot.line}: duplicate procedure number {num}")
        seen.add(num)
        p = parse_annotation(annot, path)
        p.num = num
        p.short = name[len(prefix.upper()) + len("PROC_"):]
        p.lower = p.short.lower()
        a, r = f"{prefix}{p.lower}_args", f"{prefix}{p.lower}_ret"
        p.args = a if a in structs else None
        p.ret = r if r in structs else None
        procs.append(p)
    return procs


def write(path, lines):
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def emit_routes(path, prefix, procs, out_h, out_c):
    base = path.rsplit("/", 1)[-1][:-2]
    guard = f"{prefix.upper()}ROUTES_H"
    limit = max(p.num for p in procs) + 1
    h = [f"/* Generated by gen_routes.py from {base}.x: do not edit. */",
         f"#ifndef {guard}", f"#define {guard}", "",
         f'#include "{base}.h"', '#include "route.h"', "",
         f"#define {prefix.upper()}PROC_LIMIT {limit}", "",
         f"extern const mv_route {prefix}routes[{limit}];", "",
         f"#endif /* {guard} */"]
    c = [f"/* Generated by gen_routes.py from {base}.x: do not edit. */",
         f'#include "{base}_routes.h"', "",
         f"const mv_route {prefix}routes[{limit}] = {{"]
    for p in procs:
        c.append(
            f"    [{p.num}] = {{\n"
            f"        .name = \"{p.short}\",\n"
            f"        .api = \"{p.api or api_name(p.short.split('_'))}\",\n"
            f"        .flags = {' | '.join(['MV_ROUTE_KNOWN'] + p.flags)},\n"
            f"        .owner = MV_OWNER_{p.owner.upper()},\n"
            f"        .stream = {p.stream or 'MV_STREAM_NONE'},\n"
            f"        .access = {chr(34) + p.access + chr(34) if p.access else 'NULL'},\n"
            f"        .args_xdr = {'(xdrproc_t)xdr_' + p.args if p.args else 'NULL'},\n"
            f"        .args_size = {'sizeof(' + p.args + ')' if p.args else '0'},\n"
            f"        .ret_xdr = {'(xdrproc_t)xdr_' + p.ret if p.ret else 'NULL'},\n"
            f"        .ret_size = {'sizeof(' + p.ret + ')' if p.ret else '0'},\n"
            f"    }},")
    c += ["};", "", "const char *mv_owner_name(mv_owner owner)", "{",
          "    static const char *const names[MV_OWNER_COUNT] = {"]
    c += [f"        [MV_OWNER_{o.upper()}] = \"{o}\"," for o in OWNERS]
    c += ["    };", "", "    return owner < MV_OWNER_COUNT ? names[owner] : \"?\";", "}"]
    write(out_h, h)
    write(out_c, c)


def emit_handlers(path, prefix, procs, out_h, outputs):
    base = path.rsplit("/", 1)[-1][:-2]
    guard = f"{prefix.upper()}HANDLERS_H"
    h = [f"/* Generated by gen_routes.py from {base}.x: do not edit. */",
         f"#ifndef {guard}", f"#define {guard}", "",
         f'#include "{base}_routes.h"', '#include "remote/handler.h"', ""]
    for o in OWNERS:
        if any(p.owner == o for p in procs):
            h.append(f"extern const mv_handler {prefix}{o}_handlers[{prefix.upper()}PROC_LIMIT];")
    h.append("")
    for p in procs:
        if "MV_ROUTE_EVENT" in p.flags:
            continue
        params = ["mv_call *call"]
        if p.args:
            params.append(f"{p.args} *args")
        if p.ret:
            params.append(f"{p.ret} *ret")
        h.append(f"int {prefix}dispatch_{p.lower}({', '.join(params)});")
    h += ["", f"#endif /* {guard} */"]
    write(out_h, h)
    header = out_h.rsplit("/", 1)[-1]
    for spec in outputs:
        owner, _, out_c = spec.partition("=")
        if owner not in OWNERS:
            sys.exit(f"unknown owner {owner}")
        mine = [p for p in procs if p.owner == owner and "MV_ROUTE_EVENT" not in p.flags]
        c = [f"/* Generated by gen_routes.py from {base}.x: do not edit. */",
             f"/* The handlers of the procedures owned by '{owner}'. */",
             f'#include "{header}"', ""]
        for p in mine:
            fwd = ["call"] + (["args_"] if p.args else []) + (["ret_"] if p.ret else [])
            c.append(f"static int thunk_{p.lower}(mv_call *call, void *args_, void *ret_)")
            c.append("{")
            if not p.args:
                c.append("    (void)args_;")
            if not p.ret:
                c.append("    (void)ret_;")
            c.append(f"    return {prefix}dispatch_{p.lower}({', '.join(fwd)});")
            c.append("}")
            c.append("")
        c.append(f"const mv_handler {prefix}{owner}_handlers[{prefix.upper()}PROC_LIMIT] = {{")
        c += [f"    [{p.num}] = thunk_{p.lower}," for p in mine]
        c.append("};")
        write(out_c, c)


def main():
    mode, path, prefix, enum_name = sys.argv[1:5]
    procs = load(path, prefix, enum_name)
    if mode == "routes":
        emit_routes(path, prefix, procs, sys.argv[5], sys.argv[6])
    elif mode == "handlers":
        emit_handlers(path, prefix, procs, sys.argv[5], sys.argv[6:])
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
