@{
    RootModule           = 'PSCompositeMail.dll'
    ModuleVersion = '0.6.0'
    CompatiblePSEditions = @('Desktop', 'Core')
    GUID                 = '5b0c3d4e-8a51-4f0e-9a3c-2f6d7c1e9b42'
    Author               = 'PSCompositeMail contributors'
    CompanyName          = 'PSCompositeMail'
    Copyright            = '(c) PSCompositeMail contributors. MIT License.'
    Description          = 'Sends one mail through several backends at once (SMTP, console, .eml folder, memory, script block, composites with failover) - a modern replacement for Send-MailMessage built on MailKit.'
    PowerShellVersion    = '5.1'
    FormatsToProcess     = @('PSCompositeMail.Format.ps1xml', 'PSCompositeMail.Lists.Format.ps1xml')
    FunctionsToExport    = @()
    CmdletsToExport      = @(
        'ConvertTo-MailHtml'
        'Get-MailSpool'
        'Import-MailBackend'
        'New-MailBackend'
        'Send-CompositeMail'
        'Test-MailBackend'
        'Test-MailDomain'
        'Test-MailSpool'
    )
    VariablesToExport    = @()
    AliasesToExport      = @()
    PrivateData          = @{
        PSData = @{
            Tags         = @('Mail', 'SMTP', 'MailKit', 'MimeKit', 'Send-MailMessage', 'Email', 'PSEdition_Core', 'PSEdition_Desktop')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            RequireLicenseAcceptance = $false
            ReleaseNotes = 'See CHANGELOG.md'
        }
    }
}
