namespace ClusterRegistry.Infrastructure.HealthProbing;

/// <summary>
/// The per-cluster decision: Ready changes only after K consecutive results that disagree with it (failure and
/// success thresholds apart), so one lost probe does not flap it; IdentityMismatch follows each result at once, as it
/// is a security signal, not a health one.
/// </summary>
public sealed class Hysteresis
{
    public int Successes { get; private set; }
    public int Failures { get; private set; }

    /// <summary>The health to report after <paramref name="result"/>, given what is reported now (null: nothing yet).</summary>
    public ReportedHealth Next(ReportedHealth? current, ProbeResult result, ProbeSettings settings, string? pinned, DateTimeOffset now)
    {
        if (result.Healthy)
        {
            Successes++;
            Failures = 0;
        }
        else
        {
            Failures++;
            Successes = 0;
        }
        var (ready, reason, message) = current is null ? ("Unknown", ProbeReasons.Probing, "") : (current.Ready, current.ReadyReason, current.ReadyMessage);
        if (result.Healthy && Successes >= settings.SuccessThreshold)
            (ready, reason, message) = ("True", result.Reason, result.Message);
        else if (!result.Healthy && Failures >= settings.FailureThreshold)
            (ready, reason, message) = ("False", result.Reason, result.Message);
        else if (current is null || current.Ready == "Unknown")
            (ready, reason, message) = ("Unknown", ProbeReasons.Probing,
                $"{(result.Healthy ? Successes : Failures)} consecutive {(result.Healthy ? "successes" : "failures")} so far; last: {result.Message}");
        else if (ready == (result.Healthy ? "True" : "False"))
            message = result.Message;

        var (mismatch, mismatchReason, mismatchMessage) =
            result.IdentityMismatch ? ("True", ProbeReasons.CertificateChanged, result.Message)
            : result.Fingerprint is not null && (pinned is null || result.Fingerprint == pinned)
                ? ("False", pinned is null ? ProbeReasons.NotPinned : ProbeReasons.CertificateMatchesPin, $"serving certificate sha256:{result.Fingerprint}")
            : current is { Mismatch.Length: > 0 } ? (current.Mismatch, current.MismatchReason, current.MismatchMessage)
            : ("Unknown", ProbeReasons.Probing, "no certificate seen yet");

        return new ReportedHealth(ready, reason, message, current is not null && current.Ready == ready ? current.ReadySince : now,
            mismatch, mismatchReason, mismatchMessage, current is not null && current.Mismatch == mismatch ? current.MismatchSince : now,
            result.Version ?? current?.Version, now);
    }
}
