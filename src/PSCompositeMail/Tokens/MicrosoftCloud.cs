using System;

namespace PSCompositeMail.Tokens
{
    /// <summary>The Microsoft cloud a tenant lives in: it decides the sign-in, Graph and Exchange Online hosts.</summary>
    public enum MicrosoftCloud
    {
        /// <summary>Microsoft 365 worldwide (and GCC, which signs in and sends through the worldwide hosts).</summary>
        Global,

        /// <summary>Microsoft 365 GCC High.</summary>
        USGovernment,

        /// <summary>Microsoft 365 DoD.</summary>
        USGovernmentDoD,

        /// <summary>Microsoft 365 operated by 21Vianet.</summary>
        China,
    }

    /// <summary>The published hosts of each national cloud. Tokens are always asked for the cloud's own resource, even when -GraphEndpoint points
    /// elsewhere.</summary>
    internal static class MicrosoftCloudEndpoints
    {
        public static Uri AuthorityHost(MicrosoftCloud cloud) => new Uri(cloud switch
        {
            MicrosoftCloud.USGovernment or MicrosoftCloud.USGovernmentDoD => "https://login.microsoftonline.us/",
            MicrosoftCloud.China => "https://login.chinacloudapi.cn/",
            _ => "https://login.microsoftonline.com/",
        });

        public static Uri Graph(MicrosoftCloud cloud) => new Uri(GraphResource(cloud) + "/");

        /// <summary>The resource Graph tokens are issued for (the scope is this plus "/.default").</summary>
        public static string GraphResource(MicrosoftCloud cloud) => cloud switch
        {
            MicrosoftCloud.USGovernment => "https://graph.microsoft.us",
            MicrosoftCloud.USGovernmentDoD => "https://dod-graph.microsoft.us",
            MicrosoftCloud.China => "https://microsoftgraph.chinacloudapi.cn",
            _ => "https://graph.microsoft.com",
        };

        /// <summary>The resource SMTP AUTH (XOAUTH2) tokens are issued for: Exchange Online.</summary>
        public static string ExchangeResource(MicrosoftCloud cloud) => cloud switch
        {
            MicrosoftCloud.USGovernment => "https://outlook.office365.us",
            MicrosoftCloud.USGovernmentDoD => "https://outlook-dod.office365.us",
            MicrosoftCloud.China => "https://partner.outlook.cn",
            _ => "https://outlook.office365.com",
        };

        /// <summary>Where SMTP client submission listens in that cloud, for the help text of errors.</summary>
        public static string SmtpHost(MicrosoftCloud cloud) => cloud switch
        {
            MicrosoftCloud.USGovernment or MicrosoftCloud.USGovernmentDoD => "smtp.office365.us",
            MicrosoftCloud.China => "smtp.partner.outlook.cn",
            _ => "smtp.office365.com",
        };
    }
}
