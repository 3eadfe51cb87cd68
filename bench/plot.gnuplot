# Figures for bench/README.md: results/scaling.svg (spin job, 1..N local workers) and
# results/download.svg (1,000 images, 50 ms latency: seeds, aria2c, curl, zfan).
# usage: gnuplot -e "results='bench/results'" bench/plot.gnuplot
if (!exists("results")) results = "bench/results"
have(f) = system("[ -s '" . results . "/" . f . "' ] && echo 1 || echo 0") + 0

set terminal svg size 900,380 dynamic font "sans,11" background rgb "white"

if (have("scaling.dat")) {
  set output results . "/scaling.svg"
  set multiplot layout 1,2 title "zfan spin --tasks 16, 1 and 2 local workers (2-core VM, shared)"
  set xlabel "local workers"; set grid
  set xtics 1; set xrange [0.5:2.5]
  set key top right
  set ylabel "wall time, s (log)"; set logscale y
  plot results . "/scaling.dat" using 1:2:3 with yerrorlines lw 2 pt 7 title "--iterations 2e8", \
       (have("scaling_long.dat") ? results . "/scaling_long.dat" : results . "/scaling.dat") \
         using 1:2:3 with yerrorlines lw 2 pt 5 title (have("scaling_long.dat") ? "--iterations 2e9" : "")
  unset logscale y
  set ylabel "speedup"; set yrange [0:2.2]; set key top left
  plot results . "/scaling.dat" using 1:4 with linespoints lw 2 pt 7 title "--iterations 2e8", \
       (have("scaling_long.dat") ? results . "/scaling_long.dat" : results . "/scaling.dat") \
         using 1:4 with linespoints lw 2 pt 5 title (have("scaling_long.dat") ? "--iterations 2e9" : ""), \
       x with lines dt 2 lc rgb "gray" title "ideal"
  unset multiplot
}

if (have("download.dat")) {
  reset
  set output results . "/download.svg"
  set title "1,000 images of 50–500 KB, 50 ms latency per request (loopback)"
  set style data histogram; set style histogram errorbars gap 1 lw 1
  set style fill solid 0.6 border -1
  set boxwidth 0.8; set grid ytics
  set ylabel "wall time, s (log)"; set logscale y
  set xtics rotate by -30 left noenhanced
  set key off
  # download.dat: "label" mean sd floor   (label quoted, one row per method)
  plot results . "/download.dat" using 2:3:xtic(1) lc rgb "#4477aa", \
       '' using 0:4 with points pt 2 ps 1.5 lc rgb "red" title "floor"
}
