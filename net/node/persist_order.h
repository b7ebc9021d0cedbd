// persistence.h's ordering contract in one place, for the simulator's
// real_store mode (tests/sim/real_store.h): the PersistAction records a call
// emits are collected and made durable in one ConsensusStore::Persist before
// the next SendAction or CommitAction runs, and at the end of the call. The
// node's driver keeps a stricter order off its thread (durable_outbox.h):
// every output waits for every record handed in before it.
#ifndef GRIDLEDGER_NET_NODE_PERSIST_ORDER_H_
#define GRIDLEDGER_NET_NODE_PERSIST_ORDER_H_

#include <variant>

#include "core/consensus/core.h"

namespace gridledger::node {

// True when the records collected so far must be durable before `action` runs.
inline bool MustPersistBefore(const consensus::Action& action) {
  if (const auto* send = std::get_if<consensus::SendAction>(&action)) {
    return send->waits_for_records;
  }
  return std::holds_alternative<consensus::CommitAction>(action);
}

}  // namespace gridledger::node

#endif  // GRIDLEDGER_NET_NODE_PERSIST_ORDER_H_
