import CoreMetrics

/// What the service counts, through swift-metrics: nothing happens unless the process bootstrapped a
/// backend (`vigil serve` and `vigil projections run` bootstrap Prometheus; a one-shot CLI command does
/// not, and pays nothing). Labels are closed sets (a command's kind, an outcome), never an id or a value.
enum ServiceMetrics {
    /// One command handled: its kind (`gathering.schedule`) and what came of it.
    static func command(_ kind: String, _ outcome: String) {
        Counter(label: "vigil_commands_total", dimensions: [("kind", kind), ("outcome", outcome)]).increment()
    }

    /// A decision that lost a race and was decided again.
    static func conflict(_ kind: String) {
        Counter(label: "vigil_command_conflicts_total", dimensions: [("kind", kind)]).increment()
    }
}

extension VigilCommand {
    /// `gathering.schedule`: the command's family and case, for a metric's label.
    var metricKind: String {
        func name(_ value: Any) -> String { Mirror(reflecting: value).children.first?.label ?? "\(value)" }
        switch self {
        case .campaign(let c): return "campaign." + name(c)
        case .mission(let c): return "mission." + name(c)
        case .gathering(let c): return "gathering." + name(c)
        case .recurrence(let c): return "weekly." + name(c)
        case .petition(let c): return "petition." + name(c)
        }
    }
}
