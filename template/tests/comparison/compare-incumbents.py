#!/usr/bin/env python3
"""Reproduce the "Comparison with incumbents" tables of docs/template-audit.md.

Usage (checkov and cfn-lint installed in a venv outside the repository):

    python3 template/tests/comparison/compare-incumbents.py labelled \
        --rampart /root/.cache/rampart-target/release/rampart \
        --venv /root/.cache/rampart/incumbents
    python3 template/tests/comparison/compare-incumbents.py corpus \
        --corpus template/corpus/cfn-templates --checkov-json checkov.json \
        --rampart-json rampart.json [--checkov-dir DIR]

`labelled` runs the three tools on every file of this directory and prints, per file, the
findings of the relevant family (security-group ingress, IAM wildcards, public bucket, Lambda
runtime, CloudFront TLS) of each tool. `corpus` compares a checkov JSON report (`-o json
--quiet`) with a Rampart JSON report resource by resource, through the `equivalents.checkov`
lists of the built-in rule pack. Standard library plus PyYAML (present in the checkov venv).
"""

import argparse
import collections
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PACK = os.path.join(HERE, "..", "..", "src", "rules", "builtin.yaml")

# checkov checks of the families the labelled set is about (CKV_AWS_23, "rule has a
# description", and the Lambda DLQ/VPC/concurrency checks are left out: not a security finding
# on these templates).
CHECKOV_RELEVANT = {
    "CKV_AWS_24", "CKV_AWS_25", "CKV_AWS_260", "CKV_AWS_277",  # ingress from 0.0.0.0/0
    "CKV_AWS_1", "CKV_AWS_107", "CKV_AWS_108", "CKV_AWS_109", "CKV_AWS_110", "CKV_AWS_111",
    "CKV_AWS_20", "CKV_AWS_57",  # public bucket ACL
    "CKV_AWS_363", "CKV_AWS_174",  # Lambda runtime, CloudFront TLS
    "CKV_AWS_103", "CKV_AWS_131",  # listener TLS policy, ALB invalid headers
}
CFNLINT_RELEVANT_PREFIXES = ("W3687", "E3001", "W2531")


def run(cmd, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    return p.returncode, p.stdout, p.stderr


def labelled(args):
    files = sorted(f for f in os.listdir(HERE) if f.endswith((".yaml", ".yml", ".json")))
    env = dict(os.environ, BC_SKIP_MAPPING="TRUE")
    checkov = os.path.join(args.venv, "bin", "checkov")
    cfnlint = os.path.join(args.venv, "bin", "cfn-lint")
    print("| case | Rampart | checkov | cfn-lint |")
    print("|---|---|---|---|")
    for f in files:
        path = os.path.join(HERE, f)
        _, out, _ = run([args.rampart, "audit-template", path, "--format", "json"])
        rp = json.loads(out)["templates"][0]
        text = open(path).read()
        # Risk >= 2, or named in the file's expect-* labels (NET-08, NET-22 are risk 1);
        # "?" marks an unresolved (reported, not scored) finding.
        r_ids = sorted({x["rule_id"] + ("?" if x["status"] == "unresolved" else "")
                        for x in rp["findings"] if x["risk"] > 1 or x["rule_id"] in text})
        if rp["issues"]:
            r_ids.append("issue:" + ",".join(i["resource"] or "-" for i in rp["issues"]))
        rc, out, _ = run([checkov, "-f", path, "--framework", "cloudformation", "-o", "json",
                          "--quiet"], env=env)
        try:
            d = json.loads(out)
            d = d if isinstance(d, dict) else d[0]
            c_ids = sorted({c["check_id"] for c in d["results"]["failed_checks"]
                            if c["check_id"] in CHECKOV_RELEVANT}) or ["-"]
        except (ValueError, KeyError, IndexError):
            c_ids = ["crash (exit %d)" % rc]
        _, out, _ = run([cfnlint, "-f", "parseable", path])
        l_ids = sorted({line.split(":")[5] for line in out.splitlines()
                        if line.count(":") >= 6 and line.split(":")[5].startswith(
                            CFNLINT_RELEVANT_PREFIXES)}) or ["-"]
        print("| %s | %s | %s | %s |" % (f, " ".join(r_ids) or "-", " ".join(c_ids),
                                          " ".join(l_ids)))


def corpus(args):
    import yaml  # from the checkov venv

    pack = yaml.safe_load(open(PACK))["rules"]
    ck2rp = collections.defaultdict(set)
    cat = {}
    for r in pack:
        cat[r["id"]] = r.get("category")
        for c in (r.get("equivalents") or {}).get("checkov", []) or []:
            ck2rp[c].add(r["id"])
    d = json.load(open(args.checkov_json))
    d = d if isinstance(d, dict) else d[0]
    ck = collections.defaultdict(set)
    names = {}
    for c in d["results"]["failed_checks"]:
        key = (c["file_path"].lstrip("/"), c["resource"].split(".")[-1])
        ck[key].add(c["check_id"])
        names[c["check_id"]] = c["check_name"]
    root = args.checkov_dir or args.corpus
    ck_files = {os.path.relpath(os.path.join(dp, f), root)
                for dp, _, fs in os.walk(root) for f in fs}
    rp_any = collections.defaultdict(set)
    rp_open = collections.defaultdict(set)
    for t in json.load(open(args.rampart_json))["templates"]:
        f = os.path.relpath(t["path"], args.corpus)
        for x in t["findings"]:
            rp_any[(f, x["resource"])].add(x["rule_id"])
            if x["suppressed"] is None and x["status"] == "fail":
                rp_open[(f, x["resource"])].add(x["rule_id"])
    rp2ck = collections.defaultdict(set)
    for c, ids in ck2rp.items():
        for i in ids:
            rp2ck[i].add(c)
    same, other, missed, unmapped = (collections.Counter() for _ in range(4))
    missed_ex = collections.defaultdict(list)
    for key, ids in ck.items():
        for cid in ids:
            eq = ck2rp.get(cid)
            if not eq:
                unmapped[cid] += 1
            elif eq & rp_any.get(key, set()):
                same[cid] += 1
            elif any(cat.get(i) in {cat[e] for e in eq} and rp2ck.get(i, set()) & ids
                     for i in rp_any.get(key, set())):
                # Another rule of the family fired on the resource, paired with another check
                # checkov also failed there: checkov's IAM checks are per action class (write,
                # permissions management, exfiltration), Rampart's per shape (every action,
                # a service's every action, every resource); checkov's CKV_AWS_103 also fails
                # plain-HTTP listeners, which are NET-19 / CKV_AWS_2.
                other[cid] += 1
                missed_ex[cid].append(("other rule",) + key)
            else:
                missed[cid] += 1
                missed_ex[cid].append(key)
    only = collections.Counter()
    only_ex = collections.defaultdict(list)
    for key, ids in rp_open.items():
        if key[0] not in ck_files:
            continue
        for i in ids:
            if rp2ck.get(i) and not (rp2ck[i] & ck.get(key, set())):
                only[i] += 1
                only_ex[i].append(key)
    print("checkov failures with a Rampart equivalent:", sum(same.values()) +
          sum(other.values()) + sum(missed.values()))
    print("  same resource, equivalent rule:", sum(same.values()))
    print("  same resource, another rule of the family:", sum(other.values()))
    for cid, n in other.most_common():
        print("    %s x%d (%s): %s" % (cid, n, names[cid], missed_ex[cid][:3]))
    print("  not reported by Rampart:", sum(missed.values()))
    for cid, n in missed.most_common():
        print("    %s x%d (%s) eq=%s: %s" % (cid, n, names[cid], sorted(ck2rp[cid]),
                                            [k for k in missed_ex[cid] if len(k) == 2]))
    print("checkov failures without a Rampart equivalent:", sum(unmapped.values()))
    for cid, n in unmapped.most_common():
        print("    %s x%d: %s" % (cid, n, names[cid]))
    print("scored Rampart findings (files checkov audited) with a checkov equivalent"
          " that checkov did not report on that resource:", sum(only.values()))
    for i, n in only.most_common():
        print("    %s x%d: %s" % (i, n, only_ex[i][:3]))


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("labelled")
    a.add_argument("--rampart", required=True)
    a.add_argument("--venv", required=True)
    b = sub.add_parser("corpus")
    b.add_argument("--corpus", required=True)
    b.add_argument("--checkov-json", required=True)
    b.add_argument("--rampart-json", required=True)
    b.add_argument("--checkov-dir", help="the directory checkov ran on, if not --corpus "
                   "(e.g. a copy without the files whose resource Type is a Rain tag)")
    args = ap.parse_args()
    {"labelled": labelled, "corpus": corpus}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
