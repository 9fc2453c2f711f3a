// The method declarations in proto/ (option (taizhang.rpc.v1.method)): every
// served method has one, and a method without a complete declaration stops
// the server from starting, naming what is missing.

import Foundation
import SwiftProtobuf
import Testing
import TaizhangCore
import TaizhangProto
@testable import TaizhangServer

struct MethodDeclarationTests {
    /// The served FileDescriptorSet with `edit` applied to the method `name`.
    static func served(editing name: String, _ edit: (inout Google_Protobuf_MethodDescriptorProto) -> Void) throws -> [UInt8] {
        var set = try Google_Protobuf_FileDescriptorSet(serializedBytes: SystemService.fileDescriptorSet,
                                                        extensions: Taizhang_Rpc_V1_Options_Extensions)
        var found = false
        for f in set.file.indices {
            for s in set.file[f].service.indices {
                for m in set.file[f].service[s].method.indices where set.file[f].service[s].method[m].name == name {
                    edit(&set.file[f].service[s].method[m])
                    found = true
                }
            }
        }
        #expect(found)
        return try set.serializedBytes()
    }

    static func problems(_ bytes: [UInt8]) -> [String] {
        do {
            _ = try MethodDeclarations.load(bytes)
            return []
        } catch let error as DeclarationError {
            return error.problems
        } catch {
            return ["\(error)"]
        }
    }

    @Test func everyMethodOfTheGeneratedTable_isDeclared() throws {
        let declarations = try MethodDeclarations.served.get()
        #expect(Set(declarations.keys) == Set(RPC.all.map(\.path)))
        #expect(declarations.count == RPC.all.count)
        let getAsset = try #require(declarations[RPC.Ledger.getAsset.path])
        #expect(getAsset.permissions == [.ledgerRead] && !getAsset.mutation && !getAsset.isPublic)
        #expect(getAsset.scope.records.map(\.name) == ["id"] && getAsset.scope.records.first?.kind == .asset)
        let health = try #require(declarations[RPC.System.health.path])
        #expect(health.isPublic && health.permissions.isEmpty)
        let contract = try #require(declarations[RPC.Ledger.createContract.path])
        #expect(contract.mutation && contract.scope.records.map(\.numbers) == [[1, 2], [1, 3]])
        #expect(declarations[RPC.Ledger.listAssets.path]?.scope.narrow?.name == "admin_code")
        #expect(declarations[RPC.Ledger.verifyAuditChain.path]?.scope.wholeLedger != nil)
    }

    @Test func aMethodWithoutItsOption_isRefused_named() throws {
        let bytes = try Self.served(editing: "GetAsset") { $0.options.clearTaizhang_Rpc_V1_method() }
        let problems = Self.problems(bytes)
        #expect(problems.count == 1)
        #expect(problems.first?.hasPrefix(RPC.Ledger.getAsset.path + ": no option (taizhang.rpc.v1.method)") == true)
    }

    @Test func incompleteDeclarations_areRefused_everyProblemListed() throws {
        let bytes = try Self.served(editing: "UpdateAsset") { method in
            var rule = method.options.Taizhang_Rpc_V1_method
            rule.permissions = ["asset.writ"]
            rule.effect = .unspecified
            rule.scope.records[0].field = "asset.idd"
            method.options.Taizhang_Rpc_V1_method = rule
        }
        let problems = Self.problems(bytes)
        #expect(problems.count == 3, "\(problems)")
        #expect(problems.contains { $0.contains("unknown permission \"asset.writ\"") })
        #expect(problems.contains { $0.contains("effect must be READ or MUTATION") })
        #expect(problems.contains { $0.contains("scope field asset.idd: Asset has no field idd") })
        let noScope = try Self.served(editing: "Health") { $0.options.Taizhang_Rpc_V1_method.clearScope() }
        #expect(Self.problems(noScope).first?.contains("no scope: declare scope {}") == true)
        let narrowed = try Self.served(editing: "ListAssets") { $0.options.Taizhang_Rpc_V1_method.scope.narrow = "year" }
        #expect(Self.problems(narrowed).first?.contains("scope field year is not a singular string field") == true)
    }

    @Test func aServedMethodWithoutADeclaration_stopsTheServer() throws {
        let declarations = try MethodDeclarations.served.get()
        let handler: MethodHandler = { _, _, _ in .completed(.ok([])) }
        let specs = RPC.all.map { MethodSpec(name: $0.path, requestType: $0.requestType, responseType: $0.responseType,
                                             serverStreaming: $0.serverStreaming, mutation: declarations[$0.path]!.mutation, handler: handler) }
        #expect(try MethodDeclarations.bind(specs, to: declarations).allSatisfy { $0.declaration != nil })
        let extra = MethodSpec(name: "/taizhang.ledger.v1.Ledger/GetAuditEntryX", requestType: "", responseType: "",
                               serverStreaming: false, mutation: false, handler: handler)
        #expect {
            _ = try MethodDeclarations.bind(specs + [extra], to: declarations)
        } throws: { error in
            (error as? DeclarationError)?.problems == ["/taizhang.ledger.v1.Ledger/GetAuditEntryX is served but proto/ declares nothing for it: add option (taizhang.rpc.v1.method)"]
        }
        // A declared method that nothing serves, and an effect that disagrees, are refused too.
        var mismatched = specs.filter { $0.name != RPC.Ledger.getAsset.path }
        let index = try #require(mismatched.firstIndex { $0.name == RPC.Ledger.registerAsset.path })
        mismatched[index] = MethodSpec(name: RPC.Ledger.registerAsset.path, requestType: "", responseType: "",
                                       serverStreaming: false, mutation: false, handler: handler)
        #expect {
            _ = try MethodDeclarations.bind(mismatched, to: declarations)
        } throws: { error in
            let problems = (error as? DeclarationError)?.problems ?? []
            return problems.count == 2 && problems.contains { $0.contains("declared MUTATION but served as a read") }
                && problems.contains { $0.hasPrefix(RPC.Ledger.getAsset.path + " is declared in proto/ but no handler serves it") }
        }
    }

    @Test func fieldStrings_readNestedAndRepeated_andSetTopLevel() throws {
        var request = Taizhang_Ledger_V1_CreateDistributionPlanRequest()
        request.plan.incomeIds = ["SY1", "SY2"]
        request.plan.ownerCode = "421024101000"
        #expect(try FieldStrings.values(at: [1, 4], in: request) == ["SY1", "SY2"])
        var list = Taizhang_Ledger_V1_ListAssetsRequest()
        list.adminCode = "421024000000"
        list.year = 2024
        let narrowed = try FieldStrings.setting("421024101000", at: 1, in: list)
        #expect(narrowed.adminCode == "421024101000" && narrowed.year == 2024)
        #expect(try FieldStrings.values(at: [1], in: narrowed) == ["421024101000"])
    }
}
