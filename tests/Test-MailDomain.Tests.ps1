# Will it land? Test-MailDomain against a real DNS server on 127.0.0.1 (Debian's dnsmasq, see dns.ps1): one zone per
# case, each expected Status on the expected check. No test asks any other DNS server.
BeforeAll {
    . $PSScriptRoot/common.ps1
    . $PSScriptRoot/signing.ps1
    . $PSScriptRoot/dns.ps1
    $script:Keys = Join-Path $TestDrive 'keys'
    $script:KeyA = New-TestDkimKey -Folder $Keys
    $script:KeyB = New-TestDkimKey -Folder $Keys
    $script:Signed = New-MailBackend -Smtp -Name relay -SmtpServer relay.good.test -DkimDomain good.test -DkimSelector s1 -DkimPrivateKeyPath $KeyA
    $script:OtherKey = New-MailBackend -Smtp -Name otherkey -SmtpServer relay.good.test -DkimDomain good.test -DkimSelector s1 -DkimPrivateKeyPath $KeyB
    $secret = ConvertTo-SecureString 'not-a-real-secret' -AsPlainText -Force
    $script:M365 = New-MailBackend -Graph -Name m365 -TenantId contoso.com -ClientId 11111111-2222-3333-4444-555555555555 -ClientSecret $secret
    $script:RecordA = $Signed.DkimRecord
    $script:Ed25519 = New-MailBackend -Smtp -Name ed -SmtpServer 192.0.2.25 -DkimDomain good.test -DkimSelector ed1 -DkimPrivateKeyPath (New-TestDkimKey -Folder $Keys -Type ed25519)
    $script:Testing = New-MailBackend -Smtp -Name testing -SmtpServer 192.0.2.25 -DkimDomain good.test -DkimSelector t1 -DkimPrivateKeyPath $KeyA

    # Each zone is good except in the one way its name says.
    function New-Zone {
        param([string] $Domain, [string[]] $Spf = @('v=spf1 ip4:192.0.2.25 include:_spf.good.test include:spf.protection.outlook.com -all'),
            [string[]] $Dmarc = @('v=DMARC1; p=reject; rua=mailto:dmarc@good.test'), [string] $Mx = "mx1.$Domain,10", [switch] $NoDkim)
        if ($Mx) { "mx-host=$Domain,$Mx" }
        "host-record=mx1.$Domain,192.0.2.10"
        $Spf | ForEach-Object { ConvertTo-DnsmasqTxt $Domain $_ }
        $Dmarc | ForEach-Object { ConvertTo-DnsmasqTxt "_dmarc.$Domain" $_ }
        if (-not $NoDkim) { ConvertTo-DnsmasqTxt "s1._domainkey.$Domain" $RecordA }
    }

    $lines = @(
        New-Zone good.test
        'host-record=relay.good.test,198.51.100.7'
        ConvertTo-DnsmasqTxt ed1._domainkey.good.test $Ed25519.DkimRecord
        ConvertTo-DnsmasqTxt t1._domainkey.good.test "$RecordA; t=y"
        ConvertTo-DnsmasqTxt _spf.good.test 'v=spf1 ip4:198.51.100.0/25 a:relay.good.test -all'
        ConvertTo-DnsmasqTxt spf.protection.outlook.com 'v=spf1 ip4:40.92.0.0/15 ip6:2a01:111:f400::/48 -all'
        New-Zone nomx.test -Mx ''
        'host-record=nomx.test,192.0.2.30'
        New-Zone nullmx.test -Mx '.,0'
        New-Zone twospf.test -Spf 'v=spf1 ip4:192.0.2.25 -all', 'v=spf1 include:spf.protection.outlook.com -all'
        New-Zone plusall.test -Spf 'v=spf1 ip4:192.0.2.25 +all'
        New-Zone neutral.test -Spf 'v=spf1 ip4:192.0.2.25 ?all'
        New-Zone lookups.test -Spf ('v=spf1 ' + ((1..11 | ForEach-Object { "include:l$_.lookups.test" }) -join ' ') + ' -all')
        1..11 | ForEach-Object { ConvertTo-DnsmasqTxt "l$_.lookups.test" "v=spf1 ip4:192.0.2.$_ -all" }
        New-Zone noinclude.test -Spf 'v=spf1 ip4:192.0.2.25 -all'
        New-Zone nodkim.test -NoDkim
        New-Zone nodmarc.test -Dmarc @()
        New-Zone baddmarc.test -Dmarc 'v=DMARC1; p=rejected; rua=mailto:dmarc@baddmarc.test'
        New-Zone badspf.test -Spf 'v=spf1 ip4:192.0.2 include -all'
        # Every kind of mechanism a receiver evaluates: a, mx with a prefix, exists with a macro, ip6 through a redirect.
        New-Zone mech.test -Spf 'v=spf1 a:relay-a.mech.test mx/24 exists:%{i}.allow.mech.test redirect=_r.mech.test'
        'host-record=relay-a.mech.test,192.0.2.50'
        'host-record=203.0.113.5.allow.mech.test,127.0.0.2'
        ConvertTo-DnsmasqTxt _r.mech.test 'v=spf1 ip6:2001:db8::/64 -all'
        New-Zone v6.test -Spf 'v=spf1 ip4:192.0.2.25 redirect=_r.mech.test'
        # Includes that cannot be read: one with no record (a permerror), one the server refuses (outside its zones: a temperror).
        New-Zone brokeninclude.test -Spf 'v=spf1 include:nothing.good.test -all'
        New-Zone refusedinclude.test -Spf 'v=spf1 include:_spf.example.org -all'
        # Hostile or mistaken records (the tester's findings): each one's name says what is wrong with it.
        New-Zone octal.test -Spf 'v=spf1 ip4:203.0.113.010 -all'
        New-Zone hex.test -Spf 'v=spf1 ip4:0xcb.0.113.8 -all'
        New-Zone open-ip4.test -Spf 'v=spf1 ip4:0.0.0.0/0 -all'
        New-Zone open-a.test -Spf 'v=spf1 a/0 -all'
        'host-record=open-a.test,192.0.2.1'
        New-Zone open-include.test -Spf 'v=spf1 ip4:192.0.2.25 include:plus.open-include.test -all'
        ConvertTo-DnsmasqTxt plus.open-include.test 'v=spf1 +all'
        New-Zone open-redirect.test -Spf 'v=spf1 ip4:192.0.2.25 redirect=plus.open-include.test'
        New-Zone m365-minus.test -Spf 'v=spf1 ip4:192.0.2.25 -include:spf.protection.outlook.com -all'
        New-Zone m365-neutral.test -Spf 'v=spf1 ip4:192.0.2.25 ?include:spf.protection.outlook.com -all'
        New-Zone m365-after-all.test -Spf 'v=spf1 ip4:192.0.2.25 -all include:spf.protection.outlook.com'
        New-Zone m365-redirect-ignored.test -Spf 'v=spf1 ip4:192.0.2.25 -all redirect=spf.protection.outlook.com'
        New-Zone m365-nested.test -Spf 'v=spf1 include:_spf.m365-nested.test -all'
        ConvertTo-DnsmasqTxt _spf.m365-nested.test 'v=spf1 ip4:192.0.2.25 include:spf.protection.outlook.com -all'
        New-Zone void.test -Spf 'v=spf1 a:nx1.void.test a:nx2.void.test a:nx3.void.test ip4:192.0.2.25 -all'
        New-Zone manymx.test -Mx '' -Spf 'v=spf1 ip4:192.0.2.25 mx -all'
        1..11 | ForEach-Object { "mx-host=manymx.test,mx$_.manymx.test,$_"; "host-record=mx$_.manymx.test,192.0.2.$(100 + $_)" }
        New-Zone redirect-no-all.test -Spf 'v=spf1 redirect=_spf.redirect-no-all.test'
        ConvertTo-DnsmasqTxt _spf.redirect-no-all.test 'v=spf1 ip4:192.0.2.25'
        New-Zone empty-label.test -Spf 'v=spf1 exists:%{d}..x.empty-label.test ip4:192.0.2.25 -all'
        New-Zone empty-label-include.test -Spf 'v=spf1 include:%{d}..x ip4:192.0.2.25 -all'
        New-Zone v6-long.test -Spf 'v=spf1 exists:%{i}.%{i}.%{i}.%{i}.x.v6-long.test ip4:192.0.2.25 -all'
        New-Zone hostile.test -Dmarc "v=DMARC1; p=$([char]27)]0;PWNED$([char]7)$([char]27)[2J$([char]0x9B)31m$([char]0x202E)"
        New-Zone xid.test
        ConvertTo-DnsmasqTxt h1._domainkey.good.test "$RecordA; h=sha1"
        ConvertTo-DnsmasqTxt sv1._domainkey.good.test "$RecordA; s=other"
        ConvertTo-DnsmasqTxt up1._domainkey.good.test ($RecordA -creplace '; p=', '; P=')
        ConvertTo-DnsmasqTxt vlast1._domainkey.good.test (($RecordA -creplace '^v=DKIM1; ') + '; v=DKIM1')
        ConvertTo-DnsmasqTxt twin1._domainkey.good.test $RecordA
        ConvertTo-DnsmasqTxt twin1._domainkey.good.test "$RecordA "
        New-Zone strictdkim.test -Dmarc 'v=DMARC1; p=reject; adkim=S'
        New-Zone upper.test -Dmarc 'V=DMARC1; P=REJECT'
        'host-record=mixed.good.test,10.0.0.5,2001:db8:77::9'
        New-Zone deep.test -Spf 'v=spf1 include:c1.deep.test -all'
        1..39 | ForEach-Object { ConvertTo-DnsmasqTxt "c$_.deep.test" "v=spf1 include:c$($_ + 1).deep.test -all" }
        ConvertTo-DnsmasqTxt c40.deep.test 'v=spf1 ip4:192.0.2.25 -all'
        # DMARC: a public suffix's record must not apply to names under it, nor a parent's that is not the organization's.
        New-Zone psl.co.uk -Dmarc @()
        ConvertTo-DnsmasqTxt _dmarc.co.uk 'v=DMARC1; p=reject'
        ConvertTo-DnsmasqTxt _dmarc.sub.good.test 'v=DMARC1; p=none'
        New-Zone garbage.test
        New-Zone drop.test
    )
    $script:Dns = Start-TestDnsServer -Line $lines -Zone test, outlook.com, co.uk
    $script:Ask = @{ DnsServer = $Dns.Server; TimeoutSec = 10 }

    function Get-Check {
        param($Result, [string] $Name, [string] $Backend)
        @($Result.Checks | Where-Object { $_.Name -eq $Name -and "$($_.Backend)" -eq $Backend })
    }

    # A UDP port nothing listens on: the kernel answers port unreachable, or nothing at all.
    function Get-ClosedUdpPort { Get-FreeUdpPort }
}

AfterAll { $script:Dns | Stop-TestDnsServer }

Describe 'Test-MailDomain: zones' {
    It 'passes every check for a good zone, with relays, Microsoft 365 and DKIM' {
        $result = Test-MailDomain -From 'Ops <ops@good.test>' -Backend $Signed, $M365, (New-MailBackend -Smtp -Name direct -SmtpServer 192.0.2.25) @Ask
        $result.Domain | Should -Be 'good.test'
        $result.Succeeded | Should -BeTrue
        $result.Checks | ForEach-Object { $_.Status | Should -Be 'Pass' -Because "$_" }
        $result.Checks.Name | Sort-Object -Unique | Should -Be @('DKIM', 'DMARC', 'MX', 'SPF')
        (Get-Check $result MX).Detail | Should -Match '10 mx1\.good\.test'
        (Get-Check $result SPF).Detail | Should -Match '3 of 10 DNS lookups'
        (Get-Check $result SPF relay).Detail | Should -Match '198\.51\.100\.7'
        (Get-Check $result SPF m365).Detail | Should -Match 'include:spf\.protection\.outlook\.com'
        (Get-Check $result DKIM relay).Detail | Should -Match 's1\._domainkey\.good\.test'
        (Get-Check $result DMARC).Detail | Should -Match 'p=reject.*d=good\.test .*aligns'
        $result.Checks.Fix | Where-Object { $_ } | Should -BeNullOrEmpty
    }

    It 'warns when there is no MX but an address' {
        $check = Get-Check (Test-MailDomain nomx.test @Ask) MX
        $check.Status | Should -Be 'Warn'
        $check.Detail | Should -Match '192\.0\.2\.30'
        $check.Fix | Should -Match 'IN MX 10'
    }

    It 'fails a null MX' {
        $result = Test-MailDomain nullmx.test @Ask
        $result.Succeeded | Should -BeFalse
        (Get-Check $result MX).Status | Should -Be 'Fail'
        (Get-Check $result MX).Detail | Should -Match 'null MX'
    }

    It 'fails a domain that does not exist' {
        (Get-Check (Test-MailDomain missing.test @Ask) MX).Status | Should -Be 'Fail'
    }

    It 'fails two SPF records' {
        $check = Get-Check (Test-MailDomain twospf.test @Ask) SPF
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match '2 SPF records'
    }

    It 'fails +all and warns ?all, with the record ending in -all as the fix' {
        $plus = Get-Check (Test-MailDomain plusall.test @Ask) SPF
        $plus.Status | Should -Be 'Fail'
        $plus.Fix | Should -Match 'v=spf1 ip4:192\.0\.2\.25 -all$'
        $neutral = Get-Check (Test-MailDomain neutral.test @Ask) SPF
        $neutral.Status | Should -Be 'Warn'
        $neutral.Fix | Should -Match 'v=spf1 ip4:192\.0\.2\.25 -all$'
    }

    It 'fails more than 10 lookups and counts them' {
        $check = Get-Check (Test-MailDomain lookups.test @Ask) SPF
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match '11 of 10 DNS lookups'
    }

    It 'fails an SPF record that does not parse' {
        $check = Get-Check (Test-MailDomain badspf.test @Ask) SPF
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match "does not parse: 'ip4:192\.0\.2'"
    }

    It 'fails an include that has no record, or that cannot be read' {
        $missing = Get-Check (Test-MailDomain brokeninclude.test @Ask) SPF
        $missing.Status | Should -Be 'Fail'
        $missing.Detail | Should -Match 'permanent error: include:nothing\.good\.test: nothing\.good\.test has no SPF record'
        $refused = Get-Check (Test-MailDomain refusedinclude.test @Ask) SPF
        $refused.Status | Should -Be 'Fail'
        $refused.Detail | Should -Match 'defer the mail \(temperror\): include:_spf\.example\.org: DNS server 127\.0\.0\.1:\d+ answered Refused'
    }

    It 'fails a relay the SPF record does not permit, and the fix adds its address before -all' {
        $stray = New-MailBackend -Smtp -Name stray -SmtpServer 203.0.113.9
        $result = Test-MailDomain good.test -Backend $stray @Ask
        $check = Get-Check $result SPF stray
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match '203\.0\.113\.9 gets fail'
        $check.Fix | Should -Match 'v=spf1 ip4:192\.0\.2\.25 include:_spf\.good\.test include:spf\.protection\.outlook\.com ip4:203\.0\.113\.9 -all'
        (Get-Check $result SPF).Status | Should -Be 'Pass'
        $result.Succeeded | Should -BeFalse
    }

    It 'warns that a relay with a private address (<Relay>) is not what receivers see' -TestCases @(
        @{ Relay = '10.0.0.5' }, @{ Relay = '127.0.0.1' }, @{ Relay = 'fd00::25' }, @{ Relay = '0.0.0.0' }
    ) {
        $check = Get-Check (Test-MailDomain good.test -Backend (New-MailBackend -Smtp -Name internal -SmtpServer $Relay) @Ask) SPF internal
        $check.Status | Should -Be 'Warn'
        $check.Detail | Should -Match 'private address, which receivers never see'
    }

    It 'resolves a relay name through the same DNS server, and fails one that has no address' {
        $check = Get-Check (Test-MailDomain good.test -Backend (New-MailBackend -Smtp -Name ghost -SmtpServer ghost.good.test) @Ask) SPF ghost
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match 'ghost\.good\.test has no address'
    }

    It 'fails a Microsoft 365 backend whose include is missing, in a composite too' {
        $composite = New-MailBackend -Composite -Backend $M365, (New-MailBackend -Null) -Policy Failover
        $check = Get-Check (Test-MailDomain noinclude.test -Backend $composite @Ask) SPF m365
        $check.Status | Should -Be 'Fail'
        $check.Fix | Should -Be 'Add include:spf.protection.outlook.com: v=spf1 ip4:192.0.2.25 include:spf.protection.outlook.com -all'
    }

    It 'asks for the include of the provider each backend sends through: <Case>' -TestCases @(
        @{ Case = 'Google service account over SMTP'; Include = '_spf.google.com'; Make = {
                . $PSScriptRoot/cloud.ps1
                $key = Join-Path $TestDrive 'google.json'
                $null = New-TestGoogleServiceAccountKey -Path $key -TokenUri 'https://127.0.0.1:9/token'
                New-MailBackend -Smtp -Name provider -SmtpServer smtp.gmail.com -UserName robot@noinclude.test -GoogleServiceAccountKey $key } }
        @{ Case = 'Entra ID token over SMTP, GCC High'; Include = 'spf.protection.office365.us'; Make = {
                New-MailBackend -Smtp -Name provider -SmtpServer smtp.office365.us -UserName robot@noinclude.test -TenantId contoso.com -ClientId 11111111-2222-3333-4444-555555555555 `
                    -ClientSecret (ConvertTo-SecureString 'x' -AsPlainText -Force) -Cloud USGovernment } }
        @{ Case = 'smtp.office365.com. with its root dot'; Include = 'spf.protection.outlook.com'; Make = {
                New-MailBackend -Smtp -Name provider -SmtpServer smtp.office365.com. -Credential ([pscredential]::new('robot@noinclude.test', (ConvertTo-SecureString 'x' -AsPlainText -Force))) } }
        @{ Case = 'password to smtp.office365.com'; Include = 'spf.protection.outlook.com'; Make = {
                New-MailBackend -Smtp -Name provider -SmtpServer smtp.office365.com -Credential ([pscredential]::new('robot@noinclude.test', (ConvertTo-SecureString 'x' -AsPlainText -Force))) } }
    ) {
        $check = Get-Check (Test-MailDomain noinclude.test -Backend (& $Make) @Ask) SPF provider
        $check.Status | Should -Be 'Fail'
        $check.Fix | Should -Be "Add include:$($Include): v=spf1 ip4:192.0.2.25 include:$Include -all"
    }

    It 'fails a missing DKIM record, and the fix is the record the backend prints' {
        $backend = New-MailBackend -Smtp -Name relay -SmtpServer 192.0.2.25 -DkimDomain nodkim.test -DkimSelector s1 -DkimPrivateKeyPath $KeyA
        $check = Get-Check (Test-MailDomain nodkim.test -Backend $backend @Ask) DKIM relay
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match 'No TXT record at s1\._domainkey\.nodkim\.test'
        $check.Fix | Should -Be "Publish a TXT record at $($backend.Dkim.RecordName) holding: $($backend.DkimRecord)"
    }

    It 'fails a DKIM record that holds another key' {
        $check = Get-Check (Test-MailDomain good.test -Backend $OtherKey @Ask) DKIM otherkey
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match 'different key'
        $check.Fix | Should -BeLike "*$($OtherKey.DkimRecord)"
    }

    It 'passes an Ed25519 key and warns a key published in test mode (t=y)' {
        $result = Test-MailDomain good.test -Backend $Ed25519, $Testing @Ask
        (Get-Check $result DKIM ed).Status | Should -Be 'Pass'
        (Get-Check $result DKIM ed).Detail | Should -Match 'holds the ed25519 key'
        (Get-Check $result DKIM testing).Status | Should -Be 'Warn'
        (Get-Check $result DKIM testing).Detail | Should -Match 'test mode \(t=y\)'
    }

    It 'warns when DKIM cannot be checked: no backend, or a backend that does not sign' {
        (Get-Check (Test-MailDomain good.test @Ask) DKIM).Status | Should -Be 'Warn'
        $unsigned = Get-Check (Test-MailDomain good.test -Backend (New-MailBackend -Smtp -Name plain -SmtpServer 192.0.2.25) @Ask) DKIM
        $unsigned.Status | Should -Be 'Warn'
        $unsigned.Detail | Should -Match "'plain'"
    }

    It 'warns when DMARC is missing' {
        $check = Get-Check (Test-MailDomain nodmarc.test @Ask) DMARC
        $check.Status | Should -Be 'Warn'
        $check.Fix | Should -Match '^Publish a TXT record at _dmarc\.nodmarc\.test: v=DMARC1; p=none'
    }

    It 'fails a malformed DMARC record' {
        $check = Get-Check (Test-MailDomain baddmarc.test @Ask) DMARC
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match 'p=rejected is not one of none, quarantine, reject'
    }

    It 'evaluates <Relay> for <Domain> as a receiver would, and as pyspf does: <Expected>' -TestCases @(
        @{ Domain = 'mech.test'; Relay = '192.0.2.50'; Expected = 'pass'; Because = 'a:relay-a.mech.test' }
        @{ Domain = 'mech.test'; Relay = '192.0.2.77'; Expected = 'pass'; Because = "'mx/24'" }
        @{ Domain = 'mech.test'; Relay = '203.0.113.5'; Expected = 'pass'; Because = 'exists:%\{i\}' }
        @{ Domain = 'mech.test'; Relay = '198.51.100.99'; Expected = 'fail'; Because = "'-all' in the SPF record of _r\.mech\.test" }
        # An IPv6 client finds no AAAA for a:, for the MX host or for exists: three void lookups, one more than allowed.
        @{ Domain = 'mech.test'; Relay = '2001:db8::25'; Expected = 'permerror'; Because = 'more than 2 lookups found nothing' }
        @{ Domain = 'v6.test'; Relay = '2001:db8::25'; Expected = 'pass'; Because = 'ip6:2001:db8::/64' }
        @{ Domain = 'lookups.test'; Relay = '192.0.2.11'; Expected = 'permerror'; Because = 'is DNS lookup 11' }
        @{ Domain = 'good.test'; Relay = '198.51.100.7'; Expected = 'pass'; Because = 'include:_spf\.good\.test' }
        @{ Domain = 'good.test'; Relay = '198.51.100.200'; Expected = 'fail'; Because = "'-all' in the SPF record of good\.test" }
        @{ Domain = 'noinclude.test'; Relay = '40.92.0.1'; Expected = 'fail'; Because = 'gets fail' }
    ) {
        Get-PyspfResult -Server $Dns -Domain $Domain -Address $Relay | Should -Be $Expected -Because 'pyspf is the reference'
        $check = Get-Check (Test-MailDomain $Domain -Backend (New-MailBackend -Smtp -Name r -SmtpServer $Relay) @Ask) SPF r
        $check.Status | Should -Be $(if ($Expected -eq 'pass') { 'Pass' } else { 'Fail' })
        $check.Detail | Should -Match $Because
        if ($Expected -ne 'pass') { $check.Detail | Should -Match "gets $Expected" }
    }

    It 'takes DMARC from the organizational domain when a subdomain has none' {
        $check = Get-Check (Test-MailDomain -From ops@mail.good.test @Ask) DMARC
        $check.Status | Should -Be 'Pass'
        $check.Detail | Should -Match 'no record at _dmarc\.mail\.good\.test: the organizational domain''s record at _dmarc\.good\.test applies, with p=reject'
    }

    It 'warns when a DKIM d= does not align with the From domain' {
        $check = Get-Check (Test-MailDomain -From ops@nodkim.test -Backend $Signed @Ask) DMARC
        $check.Status | Should -Be 'Warn'
        $check.Detail | Should -Match "d=good\.test of 'relay' does NOT align"
    }
}

Describe 'Test-MailDomain: DNS servers and input' {
    It 'names a DNS server that does not answer, bounded, and fails every check' {
        $closed = Get-ClosedUdpPort
        $result = Test-MailDomain good.test -DnsServer "127.0.0.1:$closed" -TimeoutSec 1 -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -Be 'DnsServerUnavailable,PSCompositeMail.Commands.TestMailDomainCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'ResourceUnavailable'
        "$failure" | Should -Match "DNS server 127\.0\.0\.1:$closed did not answer the MX query for good\.test within 1 s"
        $result.Succeeded | Should -BeFalse
        $result.Checks | ForEach-Object { $_.Status | Should -Be 'Fail'; $_.Detail | Should -Match "127\.0\.0\.1:$closed" }
    }

    It 'fails, naming the answer, each check whose query the server refused, and goes on with the others' {
        # dnsmasq refuses names outside its zones (it has no upstream).
        $result = Test-MailDomain example.org @Ask -ErrorVariable failure
        $failure | Should -BeNullOrEmpty
        $result.Checks.Count | Should -Be 4
        # DKIM has nothing to ask without a backend's selector.
        $result.Checks | Where-Object Name -ne DKIM | ForEach-Object { $_.Status | Should -Be 'Fail'; $_.Detail | Should -Match "127\.0\.0\.1:$($Dns.Port) answered Refused" }
        $relay = Test-MailDomain good.test -Backend (New-MailBackend -Smtp -Name outside -SmtpServer relay.example.org) @Ask
        (Get-Check $relay SPF outside).Detail | Should -Match 'answered Refused to the A query for relay\.example\.org'
        (Get-Check $relay SPF).Status | Should -Be 'Pass'
    }

    It 'names a DNS server that takes the query and never answers' {
        $silent = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        try {
            $server = "127.0.0.1:$($silent.Client.LocalEndPoint.Port)"
            $result = Test-MailDomain good.test -DnsServer $server -TimeoutSec 1 -ErrorVariable failure -ErrorAction SilentlyContinue
            "$failure" | Should -Match "DNS server $server did not answer the MX query for good\.test within 1 s"
            $result.Succeeded | Should -BeFalse
        }
        finally { $silent.Dispose() }
    }

    It 'ends at once when stopped while a DNS server keeps it waiting (Ctrl+C)' {
        $silent = [System.Net.Sockets.UdpClient]::new([System.Net.IPEndPoint]::new([ipaddress]::Loopback, 0))
        $shell = [powershell]::Create()
        try {
            $null = $shell.AddScript('param($Module, $Server) Import-Module $Module; Test-MailDomain good.test -DnsServer $Server -TimeoutSec 300').
                AddParameters(@{ Module = $ModulePath; Server = "127.0.0.1:$($silent.Client.LocalEndPoint.Port)" })
            $running = $shell.BeginInvoke()
            # Wait until the query reached the silent server, then stop as Ctrl+C does.
            $deadline = [DateTime]::UtcNow.AddSeconds(60)
            while ($silent.Available -eq 0 -and [DateTime]::UtcNow -lt $deadline) { Start-Sleep -Milliseconds 20 }
            $silent.Available | Should -BeGreaterThan 0 -Because 'the query should reach the server'
            $shell.Stop()
            # The query alone would wait 2 x 300 s; a stop that did not reach it would fail this generous bound.
            $running.AsyncWaitHandle.WaitOne(60000) | Should -BeTrue -Because 'Stop() cancels the DNS query'
            $shell.InvocationStateInfo.State | Should -Be 'Stopped'
        }
        finally { $shell.Dispose(); $silent.Dispose() }
    }

    It 'lets a throwing consumer end the pipeline' {
        { 'good.test', 'nomx.test' | Test-MailDomain @Ask | ForEach-Object { throw "consumer refused $($_.Domain)" } } | Should -Throw 'consumer refused good.test'
        (Test-MailDomain good.test @Ask).Succeeded | Should -BeTrue -Because 'nothing is left behind that breaks the next call'
    }

    It 'stops on a DNS server failure with -ErrorAction Stop' {
        { Test-MailDomain good.test -DnsServer "127.0.0.1:$(Get-ClosedUdpPort)" -TimeoutSec 1 -ErrorAction Stop } | Should -Throw '*did not answer*'
    }

    It 'refuses <Case> as a clear error and goes on with the rest of the pipeline' -TestCases @(
        @{ Case = 'an empty domain'; Value = '' }
        @{ Case = 'a domain with spaces'; Value = 'good .test' }
        @{ Case = 'an address as -Domain'; Value = 'ops@good.test' }
    ) {
        $results = $Value, 'good.test' | Test-MailDomain @Ask -ErrorVariable failure -ErrorAction SilentlyContinue
        $failure.Count | Should -Be 1
        $failure[0].FullyQualifiedErrorId | Should -Be 'InvalidDomain,PSCompositeMail.Commands.TestMailDomainCommand'
        $failure[0].CategoryInfo.Category | Should -Be 'InvalidArgument'
        @($results).Count | Should -Be 1
        $results.Domain | Should -Be 'good.test'
    }

    It 'refuses a -From that is not an address' {
        $result = Test-MailDomain -From 'not an address' @Ask -ErrorVariable failure -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $failure[0].FullyQualifiedErrorId | Should -Be 'InvalidFromAddress,PSCompositeMail.Commands.TestMailDomainCommand'
    }

    It 'refuses <Server> as -DnsServer before asking anything' -TestCases @(
        @{ Server = '127.0.0.1:70000' }
        @{ Server = '127.0.0.1:0' }
        @{ Server = 'dns server' }
        @{ Server = '127.0.0.1:abc' }
    ) {
        { Test-MailDomain good.test -DnsServer $Server -ErrorAction Stop } | Should -Throw '*-DnsServer*'
        try { Test-MailDomain good.test -DnsServer $Server } catch { $_.FullyQualifiedErrorId | Should -Be 'InvalidDnsServer,PSCompositeMail.Commands.TestMailDomainCommand' }
    }

    It 'takes domains and From properties from the pipeline, and stops early with Select-Object -First' {
        @([pscustomobject]@{ From = 'a@good.test' }, [pscustomobject]@{ From = 'b@nomx.test' } | Test-MailDomain @Ask).Domain | Should -Be 'good.test', 'nomx.test'
        @('good.test', 'nomx.test', 'nullmx.test' | Test-MailDomain @Ask | Select-Object -First 1).Domain | Should -Be 'good.test'
    }

    It 'tells each query with -Verbose' {
        $verbose = Test-MailDomain good.test @Ask -Verbose 4>&1 | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] }
        "$verbose" | Should -Match "DNS TXT _dmarc\.good\.test: 1 answer\(s\) from 127\.0\.0\.1:$($Dns.Port)"
    }

    It 'shows its checks in a table that fits 80 columns' {
        $text = Test-MailDomain nullmx.test @Ask | Out-String -Width 80
        $text | Should -Match 'nullmx\.test'
        $text -split "`n" | ForEach-Object { $_.TrimEnd().Length | Should -BeLessOrEqual 80 }
        $checks = (Test-MailDomain nullmx.test @Ask).Checks | Out-String -Width 80
        $checks | Should -Match 'MX\s+Fail'
    }
}

Describe 'Test-MailDomain: records made to mislead, and servers that misbehave' {
    It 'refuses an ip4: address written in octal or hex (<Domain>), as pyspf does' -TestCases @(
        @{ Domain = 'octal.test'; Address = '203.0.113.8' }
        @{ Domain = 'hex.test'; Address = '203.0.113.8' }
    ) {
        Get-PyspfResult -Server $Dns -Domain $Domain -Address $Address | Should -Be 'permerror' -Because 'pyspf is the reference'
        $result = Test-MailDomain $Domain -Backend (New-MailBackend -Smtp -Name r -SmtpServer $Address) @Ask
        (Get-Check $result SPF).Status | Should -Be 'Fail'
        (Get-Check $result SPF).Detail | Should -Match 'is not an IPv4 address'
        (Get-Check $result SPF r).Detail | Should -Match 'gets permerror'
    }

    It 'judges what receivers conclude for servers nobody named, as pyspf does: <Domain> gets <Gets>' -TestCases @(
        @{ Domain = 'open-ip4.test'; Gets = 'pass'; Status = 'Fail'; Because = "permits every server on the internet.*'ip4:0\.0\.0\.0/0'" }
        @{ Domain = 'open-a.test'; Gets = 'pass'; Status = 'Fail'; Because = "permits every server on the internet.*'a/0'" }
        @{ Domain = 'open-include.test'; Gets = 'pass'; Status = 'Fail'; Because = "permits every server on the internet.*'include:plus\.open-include\.test'" }
        @{ Domain = 'open-redirect.test'; Gets = 'pass'; Status = 'Fail'; Because = "permits every server on the internet.*'\+all' in the SPF record of plus\.open-include\.test" }
        @{ Domain = 'void.test'; Gets = 'permerror'; Status = 'Fail'; Because = 'get permerror.*more than 2 lookups found nothing' }
        @{ Domain = 'manymx.test'; Gets = 'permerror'; Status = 'Fail'; Because = 'get permerror.*11 MX records' }
        @{ Domain = 'redirect-no-all.test'; Gets = 'neutral'; Status = 'Warn'; Because = 'other servers get neutral \(no term of the SPF record of _spf\.redirect-no-all\.test matches' }
    ) {
        # Without -Backend: the record's own check, for an address no mail server has.
        Get-PyspfResult -Server $Dns -Domain $Domain -Address '240.0.0.1' | Should -Be $Gets -Because 'pyspf is the reference'
        $check = Get-Check (Test-MailDomain $Domain @Ask) SPF
        $check.Status | Should -Be $Status
        $check.Detail | Should -Match $Because
    }

    It 'fails the Microsoft 365 include when receivers never get to it: <Domain>' -TestCases @(
        @{ Domain = 'm365-minus.test'; Gets = 'fail' }
        @{ Domain = 'm365-neutral.test'; Gets = 'neutral' }
        @{ Domain = 'm365-after-all.test'; Gets = 'fail' }
        @{ Domain = 'm365-redirect-ignored.test'; Gets = 'fail' }
    ) {
        # 40.92.0.1 is in the test zone's spf.protection.outlook.com, as in the real one.
        Get-PyspfResult -Server $Dns -Domain $Domain -Address '40.92.0.1' | Should -Be $Gets -Because 'pyspf is the reference'
        $check = Get-Check (Test-MailDomain $Domain -Backend $M365 @Ask) SPF m365
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match "they get $Gets"
    }

    It 'passes the Microsoft 365 include reached through another include' {
        Get-PyspfResult -Server $Dns -Domain m365-nested.test -Address '40.92.0.1' | Should -Be 'pass'
        (Get-Check (Test-MailDomain m365-nested.test -Backend $M365 @Ask) SPF m365).Status | Should -Be 'Pass'
    }

    It 'says a 40-deep include chain needs too many lookups, not that it loops' {
        Get-PyspfResult -Server $Dns -Domain deep.test -Address '192.0.2.25' | Should -Be 'permerror'
        $check = Get-Check (Test-MailDomain deep.test @Ask) SPF
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Not -Match 'loop'
        $check.Detail | Should -Match 'over 31 of 10 DNS lookups, counting stopped there\): more than 10 lookups is a permanent error'
    }

    It 'fails one check, and goes on with the pipeline, for a name too long for DNS: <Case>' -TestCases @(
        @{ Case = 'a 250-character domain, whose _dmarc name is longer'; Check = 'DMARC' }
        @{ Case = 'exists: with %{i} of an IPv6 relay'; Check = 'SPF' }
        @{ Case = 'a DKIM selector and domain longer than DNS holds'; Check = 'DKIM' }
    ) {
        $long = ('a' * 63), ('b' * 63), ('c' * 63), ('d' * 53), 'test' -join '.'
        $domain, $backend = switch ($Check) {
            'DMARC' { $long, $null }
            'SPF' { 'v6-long.test', (New-MailBackend -Smtp -Name r -SmtpServer 2001:db8::25) }
            'DKIM' { 'good.test', (New-MailBackend -Smtp -Name r -SmtpServer 192.0.2.25 -DkimDomain good.test -DkimSelector ($long -replace '\.test$') -DkimPrivateKeyPath $KeyA) }
        }
        $call = @{ Domain = $domain }
        if ($backend) { $call.Backend = $backend }
        $results = @(Test-MailDomain @call @Ask -ErrorVariable failure -ErrorAction SilentlyContinue), @('good.test' | Test-MailDomain @Ask)
        $failure | Should -BeNullOrEmpty
        $results.Count | Should -Be 2
        $results[1].Succeeded | Should -BeTrue
        $checks = @($results[0].Checks | Where-Object Name -eq $Check)
        $checks.Count | Should -BeGreaterThan 0
        if ($Check -eq 'SPF') {
            # (pyspf itself fails on this name: it drops one label only, not as many as RFC 7208 7.3 says.)
            (Get-Check $results[0] SPF r).Detail | Should -Match 'gets fail'
        }
        else { $checks[0].Status | Should -Be 'Fail'; $checks[0].Detail | Should -Match 'not a name DNS can hold' }
    }

    It 'escapes control characters from DNS in Format-List of a check and of the result' {
        $result = Test-MailDomain hostile.test @Ask
        foreach ($text in ($result.Checks | Format-List | Out-String -Width 400), ($result | Format-List | Out-String -Width 400)) {
            $text | Should -Match 'DMARC'
            foreach ($character in [char]27, [char]7, [char]0x9B, [char]0x202E) { $text.IndexOf($character) | Should -Be -1 }
        }
    }

    Context 'a server that sends bad replies for some names' {
        BeforeAll { $script:Liar = Start-TestMisbehavingDnsServer -Upstream $Dns }
        AfterAll { $script:Liar | Stop-TestSmtpServer }

        It 'treats a macro that expands to an empty label as pyspf does, asking nothing (a strict server would not answer): <Domain>' -TestCases @(
            @{ Domain = 'empty-label.test'; Expected = 'pass' }
            @{ Domain = 'empty-label-include.test'; Expected = 'permerror' }
        ) {
            Get-PyspfResult -Server $Dns -Domain $Domain -Address '192.0.2.25' | Should -Be $Expected -Because 'pyspf is the reference'
            $result = Test-MailDomain $Domain -Backend (New-MailBackend -Smtp -Name r -SmtpServer 192.0.2.25) -DnsServer $Liar.Server -TimeoutSec 2 -ErrorVariable failure -ErrorAction SilentlyContinue
            $failure | Should -BeNullOrEmpty -Because 'the DNS server is not to blame'
            (Get-Check $result SPF r).Status | Should -Be $(if ($Expected -eq 'pass') { 'Pass' } else { 'Fail' })
            (Get-Check $result DMARC).Status | Should -Be 'Pass'
        }

        It 'asks each name once per domain, however many relays, probes and includes need it' {
            $before = @(Get-Content (Join-Path $Liar.Folder 'stdout.txt') | Where-Object { $_ -like 'query *' }).Count
            $relays = '198.51.100.7', '198.51.100.200', '203.0.113.9' | ForEach-Object { New-MailBackend -Smtp -Name "r$_" -SmtpServer $_ }
            $null = Test-MailDomain good.test -Backend (@($relays) + $M365) -DnsServer $Liar.Server -TimeoutSec 5
            # The server writes each query as it gets it; give the file a generous moment to show the last ones.
            $deadline = [DateTime]::UtcNow.AddSeconds(30)
            do {
                $queries = @(Get-Content (Join-Path $Liar.Folder 'stdout.txt') | Where-Object { $_ -like 'query *' } | Select-Object -Skip $before)
                if ($queries -contains 'query _dmarc.good.test 16') { break }
                Start-Sleep -Milliseconds 200
            } while ([DateTime]::UtcNow -lt $deadline)
            $queries | Should -Contain 'query _spf.good.test 16'
            $queries | Group-Object | Where-Object Count -gt 1 | ForEach-Object { "$($_.Name) x$($_.Count)" } | Should -BeNullOrEmpty
        }

        It 'fails only the check whose reply <Case>, and goes on with the pipeline' -TestCases @(
            @{ Case = 'answers another query (its ID differs)'; Domain = 'xid.test'; Check = 'DMARC' }
            @{ Case = 'does not parse'; Domain = 'garbage.test'; Check = 'DMARC' }
            @{ Case = 'never came (one lost query)'; Domain = 'drop.test'; Check = 'SPF' }
        ) {
            $results = @($Domain, 'good.test' | Test-MailDomain -DnsServer $Liar.Server -TimeoutSec 2 -ErrorVariable failure -ErrorAction SilentlyContinue)
            $failure | Should -BeNullOrEmpty
            $results.Count | Should -Be 2
            $results[1].Succeeded | Should -BeTrue
            $results[0].Checks | ForEach-Object {
                $_.Status | Should -Be $(if ($_.Name -eq $Check) { 'Fail' } elseif ($_.Name -eq 'DKIM') { 'Warn' } else { 'Pass' }) -Because "$_"
            }
            (Get-Check $results[0] $Check).Detail | Should -Not -Match '[A-Za-z0-9+/]{40,}' -Because 'the packet is not shown'
        }
    }

    It 'fails a DKIM record verifiers reject although it holds the key: <Case>' -TestCases @(
        @{ Case = 'h=sha1, while the backend signs sha256'; Selector = 'h1'; Because = 'h=sha1 does not allow sha256' }
        @{ Case = 's=other, not e-mail'; Selector = 'sv1'; Because = 's=other does not allow e-mail' }
        @{ Case = 'P= for p= (tag names are case-sensitive)'; Selector = 'up1'; Because = 'is not a DKIM key record' }
        @{ Case = 'v=DKIM1 not first'; Selector = 'vlast1'; Because = 'is not a DKIM key record' }
    ) {
        $backend = New-MailBackend -Smtp -Name k -SmtpServer 192.0.2.25 -DkimDomain good.test -DkimSelector $Selector -DkimPrivateKeyPath $KeyA
        $check = Get-Check (Test-MailDomain good.test -Backend $backend @Ask) DKIM k
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match $Because
        $check.Fix | Should -BeLike "*$($backend.DkimRecord)"
    }

    It 'passes two DKIM records at a selector that hold the same key' {
        $backend = New-MailBackend -Smtp -Name k -SmtpServer 192.0.2.25 -DkimDomain good.test -DkimSelector twin1 -DkimPrivateKeyPath $KeyA
        (Get-Check (Test-MailDomain good.test -Backend $backend @Ask) DKIM k).Status | Should -Be 'Pass'
    }

    It 'takes adkim=S as strict, and V= and P= as the tags v and p' {
        $strict = New-MailBackend -Smtp -Name k -SmtpServer 192.0.2.25 -DkimDomain strictdkim.test -DkimSelector s1 -DkimPrivateKeyPath $KeyA
        $check = Get-Check (Test-MailDomain -From ops@mail.strictdkim.test -Backend $strict @Ask) DMARC
        $check.Status | Should -Be 'Warn'
        $check.Detail | Should -Match 'does NOT align .*\(strict\)'
        $upper = Get-Check (Test-MailDomain upper.test @Ask) DMARC
        $upper.Status | Should -Be 'Pass'
        $upper.Detail | Should -Match 'p=reject'
    }

    It 'reads DMARC at the From domain or its organizational domain only, never at a public suffix' {
        $suffix = Get-Check (Test-MailDomain psl.co.uk @Ask) DMARC
        $suffix.Status | Should -Be 'Warn'
        $suffix.Detail | Should -Match 'No DMARC record at _dmarc\.psl\.co\.uk'
        $between = Get-Check (Test-MailDomain -From ops@a.sub.good.test @Ask) DMARC
        $between.Detail | Should -Match 'record at _dmarc\.good\.test applies, with p=reject'
    }

    It 'refuses a -From that holds two addresses' {
        $result = Test-MailDomain -From 'ops@good.test, x@evil.test' @Ask -ErrorVariable failure -ErrorAction SilentlyContinue
        $result | Should -BeNullOrEmpty
        $failure[0].FullyQualifiedErrorId | Should -Be 'InvalidFromAddress,PSCompositeMail.Commands.TestMailDomainCommand'
    }

    It 'judges a relay with a private and a public address by the public one, and never suggests the private one' {
        $check = Get-Check (Test-MailDomain good.test -Backend (New-MailBackend -Smtp -Name mixed -SmtpServer mixed.good.test) @Ask) SPF mixed
        $check.Status | Should -Be 'Fail'
        $check.Detail | Should -Match '2001:db8:77::9 gets fail'
        $check.Fix | Should -Match 'Add ip6:2001:db8:77::9'
        "$($check.Detail) $($check.Fix)" | Should -Not -Match '10\.0\.0\.5 gets|ip4:10\.0\.0\.5'
    }
}
