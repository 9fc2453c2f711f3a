// Projects read lately, kept by id. A committed project never changes (the
// ledger has no method that edits one), so a project once read from the
// file stays true and the cache needs no invalidation; what it needs is a
// bound, as a province's ledger holds projects of many counties and years.

import Synchronization
import TaizhangCore

/// A bounded map of committed projects by id. When full, a project put
/// replaces one chosen by the map's order (no recency is tracked: a county's
/// projects fit whole at the default bound).
final class ProjectCache: Sendable {
    private let held = Mutex<[String: Project]>([:])
    /// Most projects held.
    let capacity: Int

    init(capacity: Int = 16_384) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    func get(_ id: String) -> Project? {
        held.withLock { $0[id] }
    }

    /// Keeps `project` (committed), dropping another when full.
    func put(_ project: Project) {
        held.withLock { held in
            if held[project.id] == nil, held.count >= capacity, let victim = held.first?.key {
                held.removeValue(forKey: victim)
            }
            held[project.id] = project
        }
    }

    var count: Int { held.withLock { $0.count } }
}
