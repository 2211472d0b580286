using System;
using System.Diagnostics;
using System.Management.Automation;

namespace PSCompositeMail.Sending
{
    /// <summary>Long batches show how far they got and how fast; short ones never flash a progress bar.</summary>
    internal sealed class BatchProgress
    {
        private const string Activity = "Send-CompositeMail";
        private readonly Stopwatch _clock = new Stopwatch();
        private TimeSpan _lastShown;
        private int _handled;

        public bool Shown { get; private set; }

        /// <summary>Counts one message handled; returns a record when it is time to show one.</summary>
        public ProgressRecord? Count()
        {
            _handled++;
            if (!_clock.IsRunning)
            {
                _clock.Start();
            }

            var now = _clock.Elapsed;
            if (now < TimeSpan.FromSeconds(1) || now - _lastShown < TimeSpan.FromMilliseconds(500))
            {
                return null;
            }

            _lastShown = now;
            Shown = true;
            return new ProgressRecord(0, Activity, $"{_handled} message(s) handled, {_handled / now.TotalSeconds:0.#} per second");
        }

        public ProgressRecord Completed() => new ProgressRecord(0, Activity, "Done") { RecordType = ProgressRecordType.Completed };
    }
}
