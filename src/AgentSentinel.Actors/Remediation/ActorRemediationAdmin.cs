using AgentSentinel.Remediation.Admin;
using Akka.Actor;

namespace AgentSentinel.Actors.Remediation;

/// <summary>Manual operations carried out by the remediation actor (the single writer of flags), for the CLI and admin API.</summary>
public sealed class ActorRemediationAdmin : IRemediationAdmin
{
    private readonly IActorRef _remediation;
    private readonly TimeSpan _timeout;

    internal ActorRemediationAdmin(IActorRef remediation, TimeSpan timeout)
    {
        _remediation = remediation;
        _timeout = timeout;
    }

    public Task<RemediationOverview> ListAsync(CancellationToken cancellationToken) =>
        _remediation.Ask<RemediationOverview>(RemediationProtocol.GetOverview.Instance, _timeout, cancellationToken);

    public Task<AdminResult> PinAsync(PinRequest request, CancellationToken cancellationToken) =>
        Run((engine, effects) => engine.Pin(request, effects), cancellationToken);

    public Task<AdminResult> UnpinAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Run((engine, effects) => engine.Unpin(agent, note, effects), cancellationToken);

    public Task<AdminResult> AcknowledgeAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Run((engine, effects) => engine.Acknowledge(agent, note, effects), cancellationToken);

    public Task<AdminResult> ClearAsync(string agent, OperatorNote note, CancellationToken cancellationToken) =>
        Run((engine, effects) => engine.Clear(agent, note, effects), cancellationToken);

    public Task<AdminResult> SetKillSwitchAsync(bool engaged, OperatorNote note, CancellationToken cancellationToken) =>
        Run((engine, effects) => engine.SetKillSwitch(engaged, note, effects), cancellationToken);

    private Task<AdminResult> Run(Func<AgentSentinel.Remediation.Lifecycle.RemediationEngine, List<AgentSentinel.Remediation.Lifecycle.RemediationEffect>, AdminResult> operation, CancellationToken cancellationToken) =>
        _remediation.Ask<AdminResult>(new RemediationProtocol.AdminCommand(operation), _timeout, cancellationToken);
}
