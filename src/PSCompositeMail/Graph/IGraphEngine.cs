using PSCompositeMail.Delivery;
using PSCompositeMail.Results;

namespace PSCompositeMail.Graph
{
    /// <summary>What a Graph backend needs from the engine, which holds MSAL and MimeKit: its session, and its check.</summary>
    internal interface IGraphEngine
    {
        /// <summary>
        /// Microsoft Graph delivery for one pipeline, under the given backend name; it delivers only messages the engine
        /// made (see IOutgoingMessage).
        /// </summary>
        IDeliverySession OpenGraphSession(string backendName, GraphSettings settings, DeliveryContext context);

        /// <summary>Fetches a token for Graph, the credential check; sends nothing.</summary>
        BackendTestResult TestGraph(string backendName, GraphSettings settings, DeliveryContext context);
    }
}
