#!/usr/bin/env bash
# perl: hashes, arrays, strings and regexes.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
cat >work.pl <<'PL'
use strict; use warnings;
my %h; my @a;
for my $i (1 .. 300000) {
  my $k = sprintf("key%07d", ($i * 7919) % 1000003);
  $h{$k} = [$i, "v" x ($i % 17)];
  push @a, $k if $i % 3 == 0;
}
delete @h{@a[0 .. 50000]};
my $n = 0; my $len = 0;
for my $k (sort keys %h) { $n++; $len += length($h{$k}[1]); $len++ if $k =~ /7+$/; }
my $text = join(",", map { $_ * 3 } 1 .. 100000);
my @parts = split /,/, $text;
print "$n $len ", scalar(@parts), " ", ($text =~ tr/9//), "\n";
PL
perl work.pl >expected.txt
preloaded perl work.pl >actual.txt
same_output "perl" expected.txt actual.txt
