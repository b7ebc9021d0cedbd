#!/usr/bin/env python3
"""Groups a `perf report --stdio --no-children --sort comm,dso,sym -g none`
listing of the validators' self time into the cost groups of issue 12
(signature verification, hashing, LMDB and fsync, decode, transport, gRPC,
locks, allocation, ...) and prints a Markdown table, largest first, then the
largest entries left in the catch-all groups. Self time only: a kernel
function counts where it runs (ext4 under fsync as storage, tcp under send as
transport, the scheduler as wake-ups), not under the call that led there.
libsecp256k1 ships without its internal symbols, so it is matched by DSO.
Debian's libcrypto is stripped too, and it serves several users: TLS on the
peer transport (gl-transport) and gRPC threads, the state root's LtHash16
expansions (ChaCha20 and SHA-256) and transaction ids on the execution
thread, and SHA-256 elsewhere (ids and signing hashes on the verifiers,
batch and header digests on consensus, the writers and the checkpoint
signer). Its samples are grouped by the thread (comm) that ran them;
before, all of it counted as transport.

usage: perf report -i perf.data --stdio --no-children --sort comm,dso,sym -g none \
         --percent-limit 0 | scripts/profile_groups.py
"""
import re
import sys

# First match wins: order from the most specific pattern to the broadest.
GROUPS = [
    ("signature verification (libsecp256k1)", r"secp256k1|SchnorrVerify|schnorrsig|"
                                               r"ParseXOnlyKey"),
    ("hashing (SHA-256)", r"[Ss]ha256|TaggedHash|sha256_block|SHA256"),
    ("LMDB and fsync", r"\bmdb_|lmdb|Lmdb|fdatasync|fsync|msync|ext4|jbd2|xfs_|blk_|nvme|"
                       r"filemap|page_cache|folio|writeback|iomap|mpage_|iowrite16|virtqueue|"
                       r"virtio|bio_|submit_bio|block_write|generic_perform_write"),
    ("transaction decode / encode", r"gridledger::Decode|gridledger::Encode|codec|"
                                    r"ComputeTxId|DecodeMessage|EncodeMessage|ReadTx|Reader::"),
    ("gRPC and protobuf", r"grpc|libgpr|protobuf|google::|cq_|chttp2|hpack|gpr_"),
    ("transport (TLS, sockets, asio)", r"asio|libssl|libcrypto|SSL|ssl3?_|tls|EVP_|aes|gcm|"
                                       r"chacha|poly1305|"
                                       r"tcp_|ip_|__sys_send|__sys_recv|sock_|skb|"
                                       r"net_rx|loopback|__dev_queue|inet_|epoll|netif|"
                                       r"gridledger::net::"),
    ("locks and wake-ups", r"futex|pthread_mutex|pthread_cond|absl::.*Mutex|SpinLock|"
                           r"libabsl_synchronization|libabsl_graphcycles|_raw_spin_unlock|"
                           r"__lll_|CondVar|try_to_wake_up|schedule|__switch_to|finish_task_switch|"
                           r"psi_|update_curr|enqueue_task|dequeue_task|pick_next"),
    ("allocation and copying", r"malloc|free|operator new|operator delete|_int_|tcache|"
                               r"memcpy|memmove|memset|clear_page|cfree|realloc|"
                               r"do_anonymous_page|page_fault|handle_mm_fault|"
                               r"exc_page_fault|__alloc_pages|zap_|unmap"),
    ("consensus core", r"gridledger::consensus::"),
    ("execution and state", r"gridledger::(execution|Execute|Apply|State|Market)|Executor|"
                            r"gridledger::node::CommitExecutor"),
    ("node runtime (other)", r"gridledger::"),
    ("kernel (other: syscalls, irq, softirq)", r"\[k\]"),
]

# (thread name prefix, group) for libcrypto's samples, by the thread that ran
# them; libcrypto on any other thread (gl-transport, gRPC's) falls through to
# GROUPS: transport.
LIBCRYPTO_BY_THREAD = [
    ("gl-execute", "execution-thread hashing (LtHash16 state root, tx ids)"),
    ("gl-verify", "hashing (SHA-256)"),
    ("gl-consensus", "hashing (SHA-256)"),
    ("gl-outbox", "hashing (SHA-256)"),
    ("gl-admit", "hashing (SHA-256)"),
    ("gl-ckpt", "hashing (SHA-256)"),
]


def group_of(comm, rest):
    if "libcrypto" in rest:
        for prefix, name in LIBCRYPTO_BY_THREAD:
            if comm.startswith(prefix):
                return name
    for name, pattern in GROUPS:
        if re.search(pattern, rest):
            # Our own code on the execution thread is execution, whichever
            # namespace it lives in (storage::, the overlay, node::).
            if name == "node runtime (other)" and comm.startswith("gl-execute"):
                return "execution and state"
            return name
    return "other (libc, unresolved)"


def main():
    totals = {}
    leftovers = []
    total = 0.0
    # percent, thread name (comm), then the DSO and symbol.
    line_re = re.compile(r"^\s*([0-9.]+)%\s+(\S+)\s+(.*)$")
    for line in sys.stdin:
        m = line_re.match(line)
        if not m:
            continue
        pct = float(m.group(1))
        sym = m.group(3)
        total += pct
        group = group_of(m.group(2), sym)
        totals[group] = totals.get(group, 0.0) + pct
        if group.startswith(("other", "kernel")):
            leftovers.append((pct, f"{m.group(2)} {sym}"))
    if total == 0:
        sys.exit("profile_groups: no samples in the input")
    print("| group | share of validator CPU |")
    print("|---|---|")
    for group, pct in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"| {group} | {100.0 * pct / total:.1f} % |")
    print()
    print("Largest entries in the catch-all groups:")
    for pct, sym in sorted(leftovers, reverse=True)[:8]:
        print(f"- {100.0 * pct / total:.1f} % {' '.join(sym.split())[:100]}")

if __name__ == "__main__":
    main()
