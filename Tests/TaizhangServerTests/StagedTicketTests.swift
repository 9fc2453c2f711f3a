// A mutation staged off the event loop (its plan or scope check reads the
// ledger file) can be withdrawn until it reaches the store: a deadline or a
// cancel before then means it is never submitted; after, the store's own
// ticket decides, as for a mutation staged on the loop.

import Synchronization
import Testing
import TaizhangCore
@testable import TaizhangServer

struct StagedTicketTests {
    /// A store's ticket that answers `withdraw` as told, counting the calls.
    final class StoreTicket: MutationTicket {
        let started: Bool
        let withdrawals = Atomic<Int>(0)
        init(started: Bool) { self.started = started }
        func withdraw() -> Bool {
            withdrawals.wrappingAdd(1, ordering: .relaxed)
            return !started
        }
    }

    @Test func withdrawnBeforeItReachesTheStore_itIsNeverSubmitted() {
        let staged = StagedTicket()
        #expect(staged.withdraw())
        var submitted = false
        #expect(staged.submit { submitted = true; return StoreTicket(started: false) } == nil)
        #expect(!submitted)
        #expect(staged.withdraw(), "a second withdrawal still says it was not applied")
    }

    @Test func onceSubmitted_theStoresTicketDecides() {
        for started in [false, true] {
            let staged = StagedTicket()
            let store = StoreTicket(started: started)
            #expect(staged.submit { store } != nil)
            #expect(staged.withdraw() == !started)
            #expect(store.withdrawals.load(ordering: .relaxed) == 1)
            #expect(staged.submit { StoreTicket(started: false) } == nil, "submitted once only")
        }
    }
}
