// Names of the ledger's enums and columns as county staff read them, in
// Chinese by default and English on request.

import TaizhangProto

enum Labels {
    static func category(_ value: Taizhang_Ledger_V1_AssetCategory, _ language: Language) -> String {
        switch (value, language) {
        case (.publicWelfare, .zh): return "公益性"
        case (.operating, .zh): return "经营性"
        case (.household, .zh): return "到户类"
        case (.publicWelfare, .en): return "public welfare"
        case (.operating, .en): return "operating"
        case (.household, .en): return "household"
        default: return "?"
        }
    }

    static func status(_ value: Taizhang_Ledger_V1_UsageStatus, _ language: Language) -> String {
        switch (value, language) {
        case (.inUse, .zh): return "在用"
        case (.idle, .zh): return "闲置"
        case (.underConstruction, .zh): return "在建"
        case (.damaged, .zh): return "损毁"
        case (.inUse, .en): return "in use"
        case (.idle, .en): return "idle"
        case (.underConstruction, .en): return "under construction"
        case (.damaged, .en): return "damaged"
        default: return "?"
        }
    }

    static func level(_ value: Taizhang_Ledger_V1_AdminLevel, _ language: Language) -> String {
        switch (value, language) {
        case (.county, .zh): return "县"
        case (.township, .zh): return "乡镇"
        case (.village, .zh): return "村"
        case (.county, .en): return "county"
        case (.township, .en): return "township"
        case (.village, .en): return "village"
        default: return "?"
        }
    }

    static func stage(_ value: Taizhang_Ledger_V1_AssetStage, _ language: Language) -> String {
        let zh = ["已登记", "已确权", "确权公示中", "已公示", "移交公示中", "已移交", "运营中", "使用中", "已处置"]
        let en = ["registered", "ownership confirmed", "ownership notice up", "published", "handover notice up", "handed over", "in operation", "in use", "disposed of"]
        let index = value.rawValue - 1
        guard index >= 0, index < zh.count else { return "?" }
        return language == .zh ? zh[index] : en[index]
    }

    /// Where a draft stands: "待审批（起草：baima-clerk）" / "awaits approval (drafted by baima-clerk)".
    static func signOff(_ value: Taizhang_Ledger_V1_SignOff, _ language: Language) -> String {
        let zh = language == .zh
        switch value.state {
        case .signOffPending:
            return zh ? "待审批（起草：\(value.draftedBy)；须由其他有审批权限的身份审批）" : "awaits approval (drafted by \(value.draftedBy); another identity with the approving permission decides)"
        case .signOffApproved:
            return zh ? "已审批（\(value.decidedBy)，\(value.decidedOn)）" : "approved by \(value.decidedBy) on \(value.decidedOn)"
        case .signOffRejected:
            return zh ? "已退回（\(value.decidedBy)，\(value.decidedOn)：\(value.note)）" : "rejected by \(value.decidedBy) on \(value.decidedOn): \(value.note)"
        default:
            return zh ? "无需审批" : "needs no approval"
        }
    }
}
