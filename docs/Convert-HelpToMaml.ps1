<#
.SYNOPSIS
    Builds the module's MAML help (PSCompositeMail.dll-Help.xml) from the markdown in docs/en-US.
.DESCRIPTION
    The markdown holds what people write (synopsis, description, examples, what each parameter means); the
    imported module supplies what the code knows (parameter types, sets, positions, pipeline input, default values
    read from a fresh instance of the cmdlet), so the two cannot drift apart. A parameter without a description, or a
    cmdlet without a page, fails the build. A 'Default: ...' sentence in a parameter's text overrides the code's value
    where the default depends on other parameters (a port, say).
#>
param(
    [Parameter(Mandatory)] [string] $ModulePath,
    [Parameter(Mandatory)] [string] $SourcePath,
    [Parameter(Mandatory)] [string] $OutputFile
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest

$module = Import-Module $ModulePath -PassThru
$commonParameters = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
# -WhatIf and -Confirm are shown in the syntax and described like any parameter of a cmdlet that supports them.
$shouldProcessText = @{
    '-WhatIf'  = @('Shows what the cmdlet would do, naming each message, backend and recipient, without doing it. Nothing is sent.')
    '-Confirm' = @('Prompts for confirmation before each message is sent.')
}

function Read-HelpPage {
    # Splits a page into its '## ' sections, and a section into its '### ' entries.
    param([string] $Path)
    $sections = [ordered]@{}
    $current = $null
    foreach ($line in Get-Content $Path) {
        if ($line -match '^## (.+)$') { $current = $Matches[1].Trim(); $sections[$current] = [Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $current) { $sections[$current].Add($line) }
    }
    $sections
}

function Split-Entry {
    param([string[]] $Lines)
    $entries = [ordered]@{}
    $current = $null
    foreach ($line in $Lines) {
        if ($line -match '^### (.+)$') { $current = $Matches[1].Trim(); $entries[$current] = [Collections.Generic.List[string]]::new(); continue }
        if ($null -ne $current) { $entries[$current].Add($line) }
    }
    $entries
}

function Get-Paragraph {
    param([string[]] $Lines)
    (($Lines -join "`n").Trim() -split "\n\s*\n") | Where-Object { $_.Trim() } | ForEach-Object { ($_ -replace '\s*\n\s*', ' ').Trim() }
}

$maml = 'http://schemas.microsoft.com/maml/2004/10'
$command = 'http://schemas.microsoft.com/maml/dev/command/2004/10'
$dev = 'http://schemas.microsoft.com/maml/dev/2004/10'
$settings = [System.Xml.XmlWriterSettings]@{ Indent = $true; Encoding = [Text.UTF8Encoding]::new($false) }
$null = New-Item -ItemType Directory -Force -Path (Split-Path $OutputFile)
$writer = [System.Xml.XmlWriter]::Create($OutputFile, $settings)

function Write-Paragraphs {
    param([string[]] $Paragraphs)
    foreach ($paragraph in $Paragraphs) { $writer.WriteElementString('para', $maml, $paragraph) }
}

function Write-Description {
    param([string[]] $Paragraphs, [string] $Namespace = $maml)
    $writer.WriteStartElement('description', $Namespace)
    Write-Paragraphs $Paragraphs
    $writer.WriteEndElement()
}

function Get-DefaultValue {
    # The text's own 'Default: ...' where it gives one, otherwise the value a fresh cmdlet object holds.
    param($Parameter, [string[]] $Description, $Defaults)
    $stated = ($Description -join ' ') | Select-String -Pattern 'Default: ([^.]+(\.\d[^.]*)*)' | Select-Object -First 1
    if ($stated) { return $stated.Matches[0].Groups[1].Value.Trim() }
    if ($Parameter.ParameterType -eq [System.Management.Automation.SwitchParameter]) { return 'False' }
    $value = $Defaults.GetType().GetProperty($Parameter.Name).GetValue($Defaults)
    if ($null -eq $value -or ($value -is [Array] -and $value.Count -eq 0) -or ($value -is [string] -and $value -eq '')) { return 'None' }
    [string]$value
}

function Write-Parameter {
    param($Parameter, $SetMetadata, [string[]] $Description, [string] $DefaultValue)
    $pipeline = @(
        if ($SetMetadata.ValueFromPipeline) { 'ByValue' }
        if ($SetMetadata.ValueFromPipelineByPropertyName) { 'ByPropertyName' }
    )
    $writer.WriteStartElement('parameter', $command)
    $writer.WriteAttributeString('required', ([string]$SetMetadata.IsMandatory).ToLowerInvariant())
    $writer.WriteAttributeString('globbing', 'false')
    $writer.WriteAttributeString('pipelineInput', $(if ($pipeline) { "True ($($pipeline -join ', '))" } else { 'False' }))
    $writer.WriteAttributeString('position', $(if ($SetMetadata.Position -ge 0) { [string]$SetMetadata.Position } else { 'named' }))
    $writer.WriteAttributeString('aliases', $(if ($Parameter.Aliases.Count) { $Parameter.Aliases -join ', ' } else { 'none' }))
    $writer.WriteElementString('name', $maml, $Parameter.Name)
    Write-Description $Description
    if ($Parameter.ParameterType -ne [System.Management.Automation.SwitchParameter]) {
        $writer.WriteStartElement('parameterValue', $command)
        $writer.WriteAttributeString('required', 'true')
        $writer.WriteString($Parameter.ParameterType.Name)
        $writer.WriteEndElement()
    }
    $writer.WriteStartElement('type', $dev)
    $writer.WriteElementString('name', $maml, $Parameter.ParameterType.FullName)
    $writer.WriteEndElement()
    $writer.WriteElementString('defaultValue', $dev, $DefaultValue)
    $writer.WriteEndElement()
}

$writer.WriteStartDocument()
$writer.WriteStartElement('helpItems')
$writer.WriteAttributeString('schema', 'maml')
foreach ($cmdlet in Get-Command -Module $module.Name -CommandType Cmdlet | Sort-Object Name) {
    $page = Join-Path $SourcePath "$($cmdlet.Name).md"
    if (-not (Test-Path $page)) { throw "No help page for $($cmdlet.Name): write $page." }
    $sections = Read-HelpPage $page
    foreach ($required in 'SYNOPSIS', 'DESCRIPTION', 'EXAMPLES', 'PARAMETERS', 'INPUTS', 'OUTPUTS') {
        if (-not $sections.Contains($required)) { throw "$page has no '## $required' section." }
    }
    $parameterText = Split-Entry $sections['PARAMETERS']
    foreach ($name in $shouldProcessText.Keys) {
        if ($cmdlet.Parameters.ContainsKey($name.TrimStart('-')) -and -not $parameterText.Contains($name)) { $parameterText[$name] = $shouldProcessText[$name] }
    }
    $documented = { param($name) $name -notin $commonParameters -or $name -in 'WhatIf', 'Confirm' }
    $own = $cmdlet.Parameters.Values | Where-Object { & $documented $_.Name }
    foreach ($parameter in $own) {
        if (-not $parameterText.Contains("-$($parameter.Name)")) { throw "$page does not describe the parameter -$($parameter.Name)." }
    }
    $defaults = [Activator]::CreateInstance($cmdlet.ImplementingType)
    $describe = { param($parameter) Get-Paragraph $parameterText["-$($parameter.Name)"] }

    $writer.WriteStartElement('command', 'command', $command)
    $writer.WriteAttributeString('xmlns', 'maml', $null, $maml)
    $writer.WriteAttributeString('xmlns', 'dev', $null, $dev)
    $writer.WriteStartElement('details', $command)
    $writer.WriteElementString('name', $command, $cmdlet.Name)
    $writer.WriteElementString('verb', $command, $cmdlet.Verb)
    $writer.WriteElementString('noun', $command, $cmdlet.Noun)
    Write-Description (Get-Paragraph $sections['SYNOPSIS'])
    $writer.WriteEndElement()
    Write-Description (Get-Paragraph $sections['DESCRIPTION'])

    $writer.WriteStartElement('syntax', $command)
    foreach ($set in $cmdlet.ParameterSets) {
        $writer.WriteStartElement('syntaxItem', $command)
        $writer.WriteElementString('name', $maml, $cmdlet.Name)
        foreach ($setParameter in $set.Parameters | Where-Object { & $documented $_.Name }) {
            $parameter = $cmdlet.Parameters[$setParameter.Name]
            $text = & $describe $parameter
            Write-Parameter $parameter $setParameter $text (Get-DefaultValue $parameter $text $defaults)
        }
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()

    $writer.WriteStartElement('parameters', $command)
    foreach ($parameter in $own | Sort-Object Name) {
        $metadata = $parameter.ParameterSets.Values | Sort-Object IsMandatory -Descending | Select-Object -First 1
        $text = & $describe $parameter
        Write-Parameter $parameter $metadata $text (Get-DefaultValue $parameter $text $defaults)
    }
    $writer.WriteEndElement()

    foreach ($kind in @(@{ Section = 'INPUTS'; Outer = 'inputTypes'; Inner = 'inputType' }, @{ Section = 'OUTPUTS'; Outer = 'returnValues'; Inner = 'returnValue' })) {
        $writer.WriteStartElement($kind.Outer, $command)
        $entries = Split-Entry $sections[$kind.Section]
        foreach ($typeName in $entries.Keys) {
            $writer.WriteStartElement($kind.Inner, $command)
            $writer.WriteStartElement('type', $dev)
            $writer.WriteElementString('name', $maml, $typeName)
            $writer.WriteEndElement()
            Write-Description (Get-Paragraph $entries[$typeName])
            $writer.WriteEndElement()
        }
        $writer.WriteEndElement()
    }

    if ($sections.Contains('NOTES')) {
        $writer.WriteStartElement('alertSet', $maml)
        $writer.WriteStartElement('alert', $maml)
        Write-Paragraphs (Get-Paragraph $sections['NOTES'])
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }

    $writer.WriteStartElement('examples', $command)
    $examples = Split-Entry $sections['EXAMPLES']
    if ($examples.Count -lt 2) { throw "$page needs at least two examples." }
    foreach ($title in $examples.Keys) {
        $text = $examples[$title] -join "`n"
        if ($text -notmatch '(?s)```powershell\n(.*?)\n```(.*)') { throw "$page, '$title' has no powershell code block." }
        $writer.WriteStartElement('example', $command)
        $writer.WriteElementString('title', $maml, "-------------------------- $title --------------------------")
        $writer.WriteElementString('code', $dev, $Matches[1])
        $writer.WriteStartElement('remarks', $dev)
        Write-Paragraphs (Get-Paragraph ($Matches[2] -split "`n"))
        $writer.WriteEndElement()
        $writer.WriteEndElement()
    }
    $writer.WriteEndElement()
    $writer.WriteEndElement()
}
$writer.WriteEndElement()
$writer.WriteEndDocument()
$writer.Close()
Write-Host "Help written to $OutputFile"
