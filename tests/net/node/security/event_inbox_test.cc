// The consensus inbox shares its bound out per peer: a validator flooding
// messages fills its own share, and the other peers and the clients still get in.
#include "net/node/event_inbox.h"

#include <gtest/gtest.h>

namespace gridledger::node {
namespace {

PeerEvent FromPeer(uint32_t from) {
  return PeerEvent{ValidatorIndex(from), consensus::BatchAck{}};
}

TEST(EventInboxTest, AFloodingPeerFillsOnlyItsOwnShare) {
  EventInbox inbox;
  size_t accepted = 0;
  for (size_t i = 0; i < kMaxInboxEvents; ++i) accepted += inbox.Push(FromPeer(1)) ? 1 : 0;
  EXPECT_EQ(accepted, kMaxInboxEventsPerPeer);
  EXPECT_EQ(inbox.refused_peer_share(), kMaxInboxEvents - kMaxInboxEventsPerPeer);
  // Another peer and a client submission are still accepted.
  EXPECT_TRUE(inbox.Push(FromPeer(2)));
  EXPECT_TRUE(inbox.Push(SubmitEvent{std::make_shared<const consensus::TxList>(consensus::TxList{Bytes{1}}),
                                     std::make_shared<SubmitTicket>()}));
  // Taking events frees the flooder's share again.
  const auto taken = inbox.Take(absl::InfinitePast(), 10);
  EXPECT_EQ(taken.size(), 10u);
  EXPECT_TRUE(inbox.Push(FromPeer(1)));
  EXPECT_EQ(inbox.size(), kMaxInboxEventsPerPeer + 2 - 10 + 1);
}

}  // namespace
}  // namespace gridledger::node
