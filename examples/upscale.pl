#!/usr/bin/env perl
# A command-line client of the upscale API in Perl 5 with core modules only (HTTP::Tiny,
# JSON::PP), for the contract suite's command adapter:
#   stability-mock contract --client-cmd "perl examples/upscale.pl {operation} {image} {output} {fields}"
# Usage: upscale.pl OPERATION IMAGE OUTPUT FIELDS_JSON
# STABILITY_API_BASE (default https://api.stability.ai) and STABILITY_API_KEY come from the
# environment; STABILITY_POLL_SECONDS (default 10) is the pause between polls.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep);

my ($operation, $image_path, $output_path, $fields_path) = @ARGV;
die "usage: upscale.pl OPERATION IMAGE OUTPUT FIELDS_JSON\n" unless defined $fields_path;
my $base = $ENV{STABILITY_API_BASE} // 'https://api.stability.ai';
$base =~ s{/+$}{};
my $key = $ENV{STABILITY_API_KEY} // die "set STABILITY_API_KEY\n";
my $poll_seconds = $ENV{STABILITY_POLL_SECONDS} // 10;
my $backoff_seconds = $ENV{STABILITY_BACKOFF_SECONDS} // 1;
my $max_polls = 360;
my %retried = map { $_ => 1 } (429, 500, 502, 503, 504);
my $http = HTTP::Tiny->new(timeout => 120);

sub slurp {
    my ($path) = @_;
    open my $file, '<:raw', $path or die "cannot read $path: $!\n";
    local $/;
    return scalar <$file>;
}

# multipart/form-data by hand: HTTP::Tiny sends bytes, it does not build forms.
sub multipart {
    my ($image, $fields) = @_;
    my $boundary = 'upscale-' . join('', map { int(rand(16)) } 1 .. 24);
    my $body = '';
    for my $name (sort keys %$fields) {
        my $value = $fields->{$name};
        utf8::encode($value) if utf8::is_utf8($value);
        $body .= "--$boundary\r\nContent-Disposition: form-data; name=\"$name\"\r\n\r\n$value\r\n";
    }
    $body .= "--$boundary\r\nContent-Disposition: form-data; name=\"image\"; filename=\"image\"\r\n"
        . "Content-Type: application/octet-stream\r\n\r\n$image\r\n--$boundary--\r\n";
    return ("multipart/form-data; boundary=$boundary", $body);
}

# One call, retried on 429 and 5xx: after Retry-After when the API says, else with back-off.
sub call {
    my ($method, $path, $content_type, $body) = @_;
    my %headers = (Authorization => "Bearer $key", Accept => 'image/*');
    $headers{'Content-Type'} = $content_type if defined $content_type;
    for my $attempt (0 .. 3) {
        my $response = $http->request($method, $base . $path,
            { headers => \%headers, defined $body ? (content => $body) : () });
        my $status = $response->{status};
        if (!$retried{$status} || $attempt == 3) {
            die "$method $path answered $status: " . substr($response->{content} // '', 0, 500) . "\n"
                if $status >= 400;
            return $response;
        }
        my $retry_after = $response->{headers}{'retry-after'} // '';
        my $wait = $backoff_seconds * 2**$attempt;
        $wait = $retry_after if $retry_after =~ /^\d+$/ && $retry_after > $wait;
        sleep($wait);
    }
}

sub image_of {
    my ($response) = @_;
    my $type = $response->{headers}{'content-type'} // '';
    die "expected an image, got $response->{status} $type\n" unless $response->{status} == 200 && $type =~ m{^image/};
    die "the image was filtered by content moderation\n"
        if ($response->{headers}{'finish-reason'} // '') eq 'CONTENT_FILTERED';
    return $response->{content};
}

sub upscale {
    # Numbers keep the text JSON gave them (0.311 stays "0.311"), as the API should receive it.
    my $fields = JSON::PP->new->utf8->decode(slurp($fields_path));
    $_ = "$_" for values %$fields;
    my ($content_type, $body) = multipart(slurp($image_path), $fields);
    my $started = call('POST', "/v2beta/stable-image/upscale/$operation", $content_type, $body);
    # Conservative answers the image at once on the live API, a generation id under the seed spec.
    return image_of($started) unless ($started->{headers}{'content-type'} // '') =~ m{^application/json};
    my $id = decode_json($started->{content})->{id};
    for (1 .. $max_polls) {
        my $answer = call('GET', "/v2beta/results/$id");
        return image_of($answer) unless $answer->{status} == 202;
        sleep($poll_seconds);
    }
    die "generation $id did not finish after $max_polls polls\n";
}

my $image = eval { upscale() };
if (!defined $image) {
    print STDERR "upscale.pl: $@";
    exit 1;
}
# Written next to the target, then renamed: a failure never leaves a partial output file.
open my $out, '>:raw', "$output_path.partial" or die "cannot write $output_path: $!\n";
print $out $image;
close $out or die "cannot write $output_path: $!\n";
rename "$output_path.partial", $output_path or die "cannot rename to $output_path: $!\n";
