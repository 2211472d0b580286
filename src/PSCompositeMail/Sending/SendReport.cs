using System;
using System.Linq;
using System.Management.Automation;
using PSCompositeMail.Messages;
using PSCompositeMail.Results;
using PSCompositeMail.Spool;

namespace PSCompositeMail.Sending
{
    /// <summary>What the cmdlet writes about one message, once the message is settled (sent, spooled, or given up).</summary>
    internal sealed class SendReport
    {
        private readonly string? _unfinished;

        private SendReport(SendResult? result, ReportedError? error, string? verbose, string? unfinished)
        {
            Result = result;
            Error = error;
            Verbose = verbose;
            _unfinished = unfinished;
        }

        public SendResult? Result { get; }

        public ReportedError? Error { get; }

        public string? Verbose { get; }

        /// <summary>
        /// What to warn about when the pipeline ended before this report could be written: why the message was not
        /// delivered and where it is now. Null when there is nothing to warn about (it was delivered, or only a note).
        /// </summary>
        public string? Unwritten => _unfinished ?? Error?.Exception.Message;

        public static SendReport Delivered(SendResult result) => new SendReport(result, null, null, null);

        /// <summary>A delivered message some recipients were refused for good (5xx), or null when none was.</summary>
        public static InvalidOperationException? RefusedRecipients(SendResult result)
        {
            var refused = result.Results.SelectMany(r => r.RejectedRecipients).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
            return refused.Count == 0 ? null : new InvalidOperationException(
                $"'{ControlCharacters.Escape(result.Subject)}' <{result.MessageId}> was delivered, but the server refused {refused.Count} " +
                "recipient(s) for good: " +
                $"{ControlCharacters.Escape(string.Join(", ", refused))}. They will not get it.");
        }

        public static SendReport Undelivered(SendResult result, MailDeliveryException failure, ErrorCategory category) =>
            new SendReport(result, new ReportedError(failure, "MessageNotDelivered", category, result), null, null);

        /// <summary>Invalid input: nothing of it was sent anywhere.</summary>
        public static SendReport Refused(MessageValidationException problem, ErrorCategory category) =>
            new SendReport(null, new ReportedError(problem, "InvalidMessage", category, problem.BadValue), null, null);

        /// <summary>A spool item that cannot be resent safely: set aside with its reason.</summary>
        public static SendReport SetAside(DamagedSpoolItemException damage) =>
            new SendReport(null, new ReportedError(damage, "DamagedSpoolItem", ErrorCategory.InvalidData, damage.Item), null, null);

        /// <summary>A spool item this resend did not send at all; it stays in the spool as it was.</summary>
        public static SendReport NotResent(SpoolItemNotResentException problem, ErrorCategory category) =>
            new SendReport(null, new ReportedError(problem, "SpoolItemNotResent", category, problem.Item), null, null);

        public static SendReport Note(string verbose) => new SendReport(null, null, verbose, null);

        /// <summary>Handed over but without an outcome when the pipeline ended.</summary>
        public static SendReport Unfinished(string warning) => new SendReport(null, null, null, warning);
    }

    /// <summary>A non-terminating error for one message: what the cmdlet turns into an ErrorRecord.</summary>
    internal sealed class ReportedError
    {
        public ReportedError(Exception exception, string errorId, ErrorCategory category, object? target)
        {
            Exception = exception;
            ErrorId = errorId;
            Category = category;
            Target = target;
        }

        public Exception Exception { get; }

        public string ErrorId { get; }

        public ErrorCategory Category { get; }

        public object? Target { get; }
    }
}
