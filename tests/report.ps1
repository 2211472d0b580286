# Dot-sourced by the report tests: renders HTML in headless Chromium (Debian's chromium, installed by the test setup)
# and reads the screenshot's pixels back with a small PNG reader (System.Drawing is not on Linux).

if (-not ('PSCompositeMailTests.PngImage' -as [type])) {
    Add-Type -TypeDefinition @'
using System;
using System.IO;
using System.IO.Compression;

namespace PSCompositeMailTests
{
    /// <summary>An 8-bit RGB or RGBA PNG (what Chromium writes), decoded to pixels.</summary>
    public sealed class PngImage
    {
        private readonly byte[] _pixels;
        private readonly int _channels;

        private PngImage(int width, int height, int channels, byte[] pixels)
        {
            Width = width; Height = height; _channels = channels; _pixels = pixels;
        }

        public int Width { get; }
        public int Height { get; }

        /// <summary>The pixel as 0xRRGGBB.</summary>
        public int Rgb(int x, int y)
        {
            var i = ((y * Width) + x) * _channels;
            return (_pixels[i] << 16) | (_pixels[i + 1] << 8) | _pixels[i + 2];
        }

        /// <summary>How many pixels with x in [xFrom, xTo) differ from the colour by more than the tolerance on some channel.</summary>
        public int CountUnlike(int rgb, int tolerance, int xFrom, int xTo)
        {
            var count = 0;
            for (var y = 0; y < Height; y++)
            for (var x = Math.Max(0, xFrom); x < Math.Min(Width, xTo); x++)
            {
                var p = Rgb(x, y);
                for (var shift = 0; shift <= 16; shift += 8)
                {
                    if (Math.Abs(((p >> shift) & 255) - ((rgb >> shift) & 255)) > tolerance) { count++; break; }
                }
            }

            return count;
        }

        public static PngImage Load(string path)
        {
            var bytes = File.ReadAllBytes(path);
            int width = 0, height = 0, channels = 0;
            var data = new MemoryStream();
            for (var at = 8; at < bytes.Length;)
            {
                var length = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
                var type = System.Text.Encoding.ASCII.GetString(bytes, at + 4, 4);
                if (type == "IHDR")
                {
                    width = BigEndian(bytes, at + 8); height = BigEndian(bytes, at + 12);
                    if (bytes[at + 16] != 8 || bytes[at + 20] != 0) throw new NotSupportedException("only 8-bit, non-interlaced PNG");
                    channels = bytes[at + 17] switch { 2 => 3, 6 => 4, _ => throw new NotSupportedException($"PNG colour type {bytes[at + 17]}") };
                }
                else if (type == "IDAT") data.Write(bytes, at + 8, length);
                at += 12 + length;
            }

            data.Position = 0;
            var raw = new MemoryStream();
            using (var inflate = new ZLibStream(data, CompressionMode.Decompress)) inflate.CopyTo(raw);
            var filtered = raw.ToArray();
            var stride = width * channels;
            var pixels = new byte[stride * height];
            for (var y = 0; y < height; y++)
            {
                var filter = filtered[y * (stride + 1)];
                for (var x = 0; x < stride; x++)
                {
                    var value = filtered[(y * (stride + 1)) + 1 + x];
                    int a = x >= channels ? pixels[(y * stride) + x - channels] : 0;
                    int b = y > 0 ? pixels[((y - 1) * stride) + x] : 0;
                    int c = x >= channels && y > 0 ? pixels[((y - 1) * stride) + x - channels] : 0;
                    pixels[(y * stride) + x] = (byte)(value + filter switch
                    {
                        0 => 0, 1 => a, 2 => b, 3 => (a + b) / 2,
                        4 => Paeth(a, b, c),
                        _ => throw new NotSupportedException($"PNG filter {filter}"),
                    });
                }
            }

            return new PngImage(width, height, channels, pixels);
        }

        private static int BigEndian(byte[] b, int i) => (b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3];

        private static int Paeth(int a, int b, int c)
        {
            int p = a + b - c, pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
            return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
        }
    }
}
'@
}

function Get-ChromiumPath {
    foreach ($name in 'chromium', 'chromium-browser') {
        if ($command = Get-Command $name -CommandType Application -ErrorAction Ignore | Select-Object -First 1) { return $command.Source }
    }
    throw "The report tests need Debian's chromium (apt-get install chromium); build.ps1 test installs it."
}

function Save-HtmlScreenshot {
    <# Renders the HTML in headless Chromium at the given window size; returns the screenshot as a PngImage. #>
    param([string] $Html, [string] $Path, [int] $Width = 600, [int] $Height = 900)
    $folder = Split-Path $Path
    $page = [IO.Path]::ChangeExtension($Path, '.html')
    [IO.File]::WriteAllText($page, $Html, [Text.UTF8Encoding]::new($false))
    $userData = Join-Path $folder "chromium-$([guid]::NewGuid().ToString('N'))"
    $null = New-Item -ItemType Directory -Path $userData
    $arguments = '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--hide-scrollbars', "--user-data-dir=$userData", "--screenshot=$Path",
        "--window-size=$Width,$Height", "file://$page"
    $null = & (Get-ChromiumPath) @arguments 2>&1
    if (-not (Test-Path $Path)) { throw "Chromium made no screenshot of $page (exit code $LASTEXITCODE)." }
    [PSCompositeMailTests.PngImage]::Load($Path)
}

function Test-Colour {
    <# Whether a pixel (0xRRGGBB) is within a few steps of the colour '#rrggbb' on each channel. #>
    param([int] $Pixel, [string] $Colour, [int] $Tolerance = 6)
    $want = [Convert]::ToInt32($Colour.TrimStart('#'), 16)
    foreach ($shift in 16, 8, 0) {
        if ([Math]::Abs((($Pixel -shr $shift) -band 255) - (($want -shr $shift) -band 255)) -gt $Tolerance) { return $false }
    }
    $true
}

function Get-ColourBand {
    <# The pixel rows (y) where at least MinimumRun pixels of the line have the colour: where a row of that background is. #>
    param([PSCompositeMailTests.PngImage] $Image, [string] $Colour, [int] $MinimumRun = 40)
    $want = [Convert]::ToInt32($Colour.TrimStart('#'), 16)
    for ($y = 0; $y -lt $Image.Height; $y++) {
        $count = 0
        for ($x = 0; $x -lt $Image.Width; $x += 2) { if ($Image.Rgb($x, $y) -eq $want) { $count++ } }
        if ($count * 2 -ge $MinimumRun) { $y }
    }
}

function Get-LongestRun {
    <# The longest horizontal run of the colour on the line y, in pixels. #>
    param([PSCompositeMailTests.PngImage] $Image, [int] $Y, [string] $Colour)
    $want = [Convert]::ToInt32($Colour.TrimStart('#'), 16)
    $longest = 0; $run = 0
    for ($x = 0; $x -lt $Image.Width; $x++) {
        if ($Image.Rgb($x, $Y) -eq $want) { $run++; if ($run -gt $longest) { $longest = $run } } else { $run = 0 }
    }
    $longest
}
